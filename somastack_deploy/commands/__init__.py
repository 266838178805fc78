"""Subcommands of somastack-deploy, one module each (add_parser, run)."""
