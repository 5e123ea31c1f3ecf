"""Helpers shared by the integration and fault tests (a real broker, unique names, consume-all)."""
