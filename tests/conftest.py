"""Test-suite wide plug-ins: the real-services harness fixtures (``harness``, ``topology``) and
the ``services`` marker; see ``harness/pytest_plugin.py`` for the fixture API."""

pytest_plugins = ["somastack_deploy.harness.pytest_plugin", "pytester"]
