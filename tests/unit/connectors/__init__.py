"""Unit tests of the connectors: pure mappings, the tail, CAP parsing, the SDK's bookkeeping."""
