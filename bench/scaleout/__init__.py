"""The scale-out benchmark: hot-path workers in one group, and the pause when one joins or leaves.

``bench/bench_scaleout.py`` is its entry point; see ``bench/README.md``. It reuses ``bench.hotpath``
(broker, zone, load, workers, pacer). Modules:

* ``cli`` — the options and ``main``; ``runner`` — the phases on one broker, then on three nodes;
* ``throughput`` — N workers over the same pre-produced hits: rates, CPU per hit, RSS per worker;
* ``pauses`` — workers joining, leaving and killed under a paced load: each partition's pause;
* ``offsets`` — the group's committed offsets sampled every 100 ms, and the gaps between their moves;
* ``timeline`` — what the workers' logs say: assigned, revoked, restored, rebuilt, when;
* ``group`` — who holds which partition (the coordinator's view);
* ``mechanics`` — the group protocol alone (bare consumers): static vs dynamic, heartbeat, leave;
* ``report`` — the printed tables and the PASS / MISS against the 3 s pause target.
"""

from bench.scaleout.cli import main

__all__ = ["main"]
