"""The ``watchlist-csv`` connector: places and withdraws watchlist entries listed in a CSV file."""

from connectors.watchlist_csv.config import WatchlistCsvConfig
from connectors.watchlist_csv.source import WatchlistCsvSource

__all__ = ["WatchlistCsvConfig", "WatchlistCsvSource"]
