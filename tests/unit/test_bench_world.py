"""The benchmark's generated reads never carry an escalation scenario's plate (bench/hotpath/world.py)."""

from __future__ import annotations

import random

from bench.hotpath.world import SCENARIO_PLATE, Plates, scenario_plate


def test_no_generated_plate_is_a_scenario_plate() -> None:
    # without the exclusion ~1 in 3,000 generated plates is 川AZ + four digits: ~60 here
    plates = Plates(random.Random(7), ["川AZ0001", "皖A12345"], 200_000)
    drawn = [plates.fresh()[0] for _ in range(200_000)]
    assert not [p for p in drawn if SCENARIO_PLATE.fullmatch(p)]
    assert len(set(drawn)) > 190_000  # still fresh plates, drawn as before


def test_scenario_plates_are_of_the_reserved_form() -> None:
    assert all(SCENARIO_PLATE.fullmatch(scenario_plate(n)) for n in (0, 1, 73, 9999, 10_000, 123_456))
