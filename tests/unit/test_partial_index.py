"""Property tests of the partial-pattern index: at most three probes a read, and the definitions' matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.hotpath.confusion import class_key, classes_of, min_substitutions
from streams.hotpath.partial import LONGEST_READ, PartialIndex

# look-alikes of every class, letters and digits of no class, two provinces, a suffix, and characters no
# plate has (one beyond Latin-1, one beyond the BMP): the index must be exact for all of them
CHARS = "川渝A4B8DQO0172Z5SG6EFPRXK9警é𠀀"
KNOWN = st.sampled_from(CHARS)


def reference(patterns: dict[int, tuple[str, int]], plate: str) -> dict[int, tuple[float, int]]:
    """What the index must return, from the definitions (least substitutions, the score formula)."""
    out = {}
    for slot, (pattern, tolerance) in patterns.items():
        cost = min_substitutions(pattern, plate)
        if cost is None or sum(cost) > tolerance:
            continue
        known = sum(ch not in "?*" for ch in pattern)
        score = 0.9 * known / len(plate) * (1.0 - 0.15 * cost[0] - 0.25 * cost[1])
        out[slot] = (round(score, 9), sum(cost))
    return out


@st.composite
def pattern_of(draw: st.DrawFn) -> str:
    """A witness's partial plate: a plate of 2-18 characters with up to four ``?``, and maybe ``*`` runs."""
    chars = draw(st.lists(KNOWN, min_size=2, max_size=18))
    for i in draw(st.sets(st.integers(0, len(chars) - 1), max_size=min(4, len(chars) - 1))):
        chars[i] = "?"
    for _ in range(draw(st.integers(0, 2))):  # a star replaces a run (maybe empty) of the characters
        a = draw(st.integers(0, len(chars)))
        chars[a : draw(st.integers(a, min(len(chars), a + 6)))] = ["*"]
    pattern = "".join(chars)
    return pattern if pattern.strip("?*") else pattern + "7"


@st.composite
def read_of(draw: st.DrawFn, pattern: str) -> str:
    """A read the pattern should match (each wildcard filled), then up to two look-alike misreads."""
    chars = []
    for ch in pattern:
        if ch == "?":
            chars.append(draw(KNOWN))
        elif ch == "*":
            chars += draw(st.lists(KNOWN, max_size=draw(st.sampled_from([3, 12]))))
        else:
            chars.append(ch)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(chars) - 1))
        chars[i] = draw(st.sampled_from(classes_of(chars[i])))
    return "".join(chars)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(pattern_of(), st.integers(0, 2)), min_size=1, max_size=25), st.data())
def test_the_index_finds_exactly_what_the_definitions_say(
    entries: list[tuple[str, int]], data: st.DataObject
) -> None:
    index = PartialIndex()
    patterns = dict(enumerate(entries))
    for slot, (pattern, tolerance) in patterns.items():
        index.add(slot, pattern, tolerance)
    gone = data.draw(st.sets(st.sampled_from(sorted(patterns))))
    for slot in gone:  # removal must leave exactly the others
        index.remove(slot)
        del patterns[slot]
    reads = [data.draw(read_of(pattern)) for pattern, _ in entries]
    reads += data.draw(st.lists(st.text(CHARS, max_size=LONGEST_READ + 3), max_size=5))
    for plate in reads:
        got = {
            slot: (round(score, 9), edits)
            for slot, score, edits in index.match(plate, class_key(plate)) or ()
        }
        assert got == reference(patterns, plate), (plate, patterns)
    for slot in list(patterns):
        index.remove(slot)
    assert not any(index.probes(n) for n in range(LONGEST_READ + 3))


def test_witness_patterns_cost_at_most_three_probes() -> None:
    # the benchmark's forms: one or two unknown serial characters (maybe the province), a prefix and a
    # suffix around a star, a suffix, a prefix
    forms = ["川A1?345", "川A?2?45", "?A12?4?", "渝BD1?34?", "川A1*345", "*12345", "川A12*"]
    index = PartialIndex()
    for slot, pattern in enumerate(forms):
        index.add(slot, pattern, slot % 2)
    assert max(index.probes(n) for n in range(LONGEST_READ + 1)) == index.probes(7) == index.probes(8) == 3
    assert index.probes(LONGEST_READ + 1) == 3  # longer than any plate: the fallback's 3 anchor groups
    assert index.candidates(class_key("川C99999")) == (0, 0)
    assert {slot for slot, _, _ in index.match("川A12345", class_key("川A12345")) or ()} == {0, 1, 2, 4, 5, 6}
    # a floating run is filed at each of its offsets up to 8 characters; a longer read needs the fallback
    index.add(9, "*1234*", 0)
    assert [index.probes(n) for n in (7, 8)] == [3, 3]
    assert index.probes(9) == 3 + 3 + 6  # its tables, the 3 anchor groups, the run at each of 6 offsets
