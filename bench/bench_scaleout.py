"""Entry point of the scale-out benchmark (``bench.scaleout``).

Run: ``RAX_CACHE=/tmp/raxcache PYTHONPATH=. python bench/bench_scaleout.py`` (200,000 entries, 600,000
hits per run; ~10 minutes on 2 cores). Writes ``bench/results/scaleout.json``.
"""

from bench.scaleout import main

if __name__ == "__main__":
    main()
