"""Entry point of the hot-path benchmark (``bench.hotpath``); also run again as its subprocess roles.

Run: ``RAX_CACHE=/tmp/raxcache PYTHONPATH=. python bench/bench_hotpath.py`` (1,000,000 watchlist entries,
2,000,000 hits, 6 to 9 minutes on 2 cores) or ``--quick`` (50k entries, 200k hits, ~1.5 minutes).

It starts its own single-node Kafka (``LocalCluster``, throughput JVM profile, free port, temp dir),
applies the 川渝 zone in a fresh namespace and pre-produces everything before the consumer under test
starts, so load generation is never what is measured:

* the watchlist (keyed by entry id): exact plates with tolerance 0/1, a few % partial plates, owners
  spread over the zone's regions, expiring in a year;
* the checkpoint hits on ``rax.in.<region>.hits`` (keyed by plate): realistic plates (the packaged
  CCPD sample plus ``bench_matcher``'s generator), 175 checkpoints over the 8 regions, ~1 % duplicates
  (a re-sent event, or a second camera within 2 s), ~0.05 % on watchlisted plates. Plates that match
  the watchlist by chance are replaced, so the match rate is the one asked for.

Phases, all in one run: (1) the hot-path worker(s) (``rax run hotpath`` subprocesses) read the
watchlist, then process every hit: sustained hits/s from the committed progress, peak RSS;
(2) baselines over the same topics, each in a subprocess: a confluent-kafka consume→produce
pass-through (offsets committed every batch), the same with transactions, a faust agent, and the
Quix Streams peer (``bench/peers/quix``, its own venv: the hot path's pipeline on Quix, exactly-once);
(3) latency at a fixed offered load: a paced producer (pass_time = send time, ~1 % matching) and a
read_committed reader of every ``rax.out.<region>``, then the same for the Quix peer. Prints a table,
the latency lines, memory, the machine and PASS/MISS per target, and writes all of it to
``bench/results/hotpath.json`` (``bench/results/hotpath-quick.json`` with ``--quick``).
"""

from bench.hotpath import main

if __name__ == "__main__":
    main()
