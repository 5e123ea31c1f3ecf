"""The watchlist lifecycle (布控 / 撤控 / expiry / review): pure ``logic``; the agent lives in ``worker``."""
