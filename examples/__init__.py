"""Package data, not code: the bundled example configurations (``somastack_deploy.examples``).

Read through :func:`somastack_deploy.packagedata.examples_dir`; ``setup.py`` maps this folder
into the namespace so an installed wheel carries it.
"""
