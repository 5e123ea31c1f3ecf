"""Connectors: the SDK and the built-in sources that turn regional systems into RAX events."""
