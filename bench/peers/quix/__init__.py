"""The hot path's pipeline written with Quix Streams, run by ``bench_hotpath`` in its own virtual environment.

It imports nothing of RAX (its venv has only ``requirements.txt``): what it needs of the zone (the
look-alike classes, who receives a match from whom, the topic names) comes in ``PeerConfig``'s JSON,
written by ``bench.hotpath.quix`` from RAX's own tables. Modules: ``config`` (the JSON), ``index``
(the watchlist lookup, pure), ``dedup`` (the window over a state, pure), ``deliveries`` (recipients
and delivery records, pure), ``watchlist`` (loading the watchlist topic), ``app`` (the Quix
application), ``__main__`` (``python -m bench.peers.quix --config FILE``).
"""
