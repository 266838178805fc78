"""Package data, not code: the service assets the repo declares (``somastack_deploy.assets``).

Read through :func:`somastack_deploy.packagedata.assets_dir`; ``setup.py`` maps this folder into
the namespace so an installed wheel carries it.
"""
