"""The hot-path benchmark: the hot path on a local broker, beside pass-throughs, faust and a Quix peer.

``bench/bench_hotpath.py`` is its entry point; see ``bench/README.md``. Modules, in the order of a run:

* ``cli`` — the options and ``main`` (a full run, or one subprocess role when given ``--role``);
* ``runner`` — one run end to end: broker and zone, load, the three phases, the result dict;
* ``world``, ``records``, ``produce`` — the generated load: plates, checkpoints, watchlist targets,
  the wire records, and pre-producing the watchlist, the hits and the latency phase's plan;
* ``clients`` — the connectors' producer and the worker's consumer settings;
* ``procs`` — the run's context and child processes: hot-path workers, roles, py-spy;
* ``roles`` — what the entry point does when run again as a subprocess: pass-through, faust, Quix
  peer, pacer;
* ``quix`` — the Quix Streams peer (``bench/peers/quix``): its venv, its config, its latency phase;
* ``throughput``, ``latency`` — phases 1 and 2 (rates), phase 3 (read-to-delivery latency);
* ``report`` — the targets, the verdicts and the printed report;
* ``paths`` — where inputs, the entry point and results are.
"""

from bench.hotpath.cli import main, parse_args

__all__ = ["main", "parse_args"]
