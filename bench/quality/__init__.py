"""The matching-quality benchmark (``bench/bench_quality.py``): plates, non-plates, reads, matching checks.

* ``plates`` — plates of every kind as written, and texts that are no plate;
* ``reads`` — what a camera makes of a plate: look-alike misreads, other substitutions, lost and extra
  characters;
* ``traffic`` — a week and a day of the zone's innocent traffic, fed to the known-vehicle memory;
* ``matching`` — a watchlist of wanted and filler entries, reads against it, the contract checks.
"""
