"""Command-line commands, one module each (see refundkit.cli)."""
