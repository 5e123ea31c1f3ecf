"""The directory tail: appended lines, lines being written, rotation by rename, truncation, resume."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.sdk.tail import DirectoryTail


def _tail(d: Path, state: dict[str, object] | None = None) -> DirectoryTail:
    tail = DirectoryTail(d, "*.csv", scan_interval=0)
    tail.restore(state or {})
    return tail


def _texts(tail: DirectoryTail) -> list[str]:
    return [line.data.decode() for line in tail.read(1000)]


def test_reads_complete_lines_only_and_follows_appends(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"one\ntwo\nthr")
    tail = _tail(tmp_path)
    assert _texts(tail) == ["one", "two"]
    with f.open("ab") as out:
        out.write(b"ee\nfour\n")
    assert _texts(tail) == ["three", "four"]
    assert _texts(tail) == []
    tail.close()


def test_a_rotated_file_is_drained_under_its_new_name_and_the_new_file_is_read(tmp_path: Path) -> None:
    f = tmp_path / "hits.csv"
    f.write_bytes(b"1\n2\n")
    tail = _tail(tmp_path)
    assert _texts(tail) == ["1", "2"]
    with f.open("ab") as out:
        out.write(b"3\n")
    os.rename(f, tmp_path / "hits.csv.1")  # outside the pattern: still followed by identity
    f.write_bytes(b"4\n")
    assert sorted(_texts(tail)) == ["3", "4"]
    tail.close()


def test_a_truncated_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"old line one\nold line two\n")
    tail = _tail(tmp_path)
    assert len(_texts(tail)) == 2
    f.write_bytes(b"new\n")  # copytruncate
    assert _texts(tail) == ["new"]
    tail.close()


def test_resume_from_state_sends_no_line_twice_and_skips_none(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"1\n2\n3\n")
    tail = _tail(tmp_path)
    first = tail.read(2)
    state = tail.state()
    tail.close()
    with f.open("ab") as out:
        out.write(b"4\n")
    with _tail(tmp_path, state) as again:
        assert [x.data for x in first] + [x.data for x in again.read(100)] == [b"1", b"2", b"3", b"4"]


def test_a_reused_inode_with_other_content_is_a_new_file(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"first file\n")
    tail = _tail(tmp_path)
    tail.read(10)
    state = tail.state()
    tail.close()
    with f.open("r+b") as out:  # same inode, different content: as if deleted and the inode reused
        out.write(b"other file\nsecond\n")
    with _tail(tmp_path, state) as again:
        assert [x.data for x in again.read(10)] == [b"other file", b"second"]


def test_files_outside_the_pattern_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"x\n")
    with _tail(tmp_path) as tail:
        assert _texts(tail) == []


def test_a_line_longer_than_a_read_is_handed_over_cut_once_it_ends_and_the_file_goes_on(
    tmp_path: Path,
) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"one\n" + b"x" * 50)
    tail = DirectoryTail(tmp_path, "*.csv", scan_interval=0, chunk=16)
    assert _texts(tail) == ["one"]
    assert tail.read(10) == []  # no newline yet: the long line may still be being written
    with f.open("ab") as out:
        out.write(b"yy\ntwo\n")
    long, two = tail.read(10)
    assert long.too_long == 53 and long.data == b"x" * 16 and long.offset == 4
    assert (two.data, two.too_long) == (b"two", 0)
    assert tail.read(10) == []
    tail.close()


def test_a_bare_carriage_return_is_inside_a_line_and_crlf_ends_one(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"one\rstill one\r\ntwo\n\x0bthree\x0c\n")
    tail = _tail(tmp_path)
    assert [(line.data, line.offset) for line in tail.read(10)] == [
        (b"one\rstill one", 0),
        (b"two", 15),
        (b"\x0bthree\x0c", 19),
    ]
    tail.close()
