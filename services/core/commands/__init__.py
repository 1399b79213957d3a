"""Implementations of the `newsflow` sub-commands (the parser lives in services.core.cli)."""
