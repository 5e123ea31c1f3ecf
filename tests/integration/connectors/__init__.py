"""Helpers of the connector integration tests: one input driver per built-in connector."""
