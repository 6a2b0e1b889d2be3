"""Command-line commands, one module each (see refundkit.cli); errors come from refundkit.errors."""
