"""The ``casehub`` command, split by command group; built by :func:`build_cli`, never at import."""

from casehub.cli.app import build_cli, main

__all__ = ["build_cli", "main"]
