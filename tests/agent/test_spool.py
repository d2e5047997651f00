"""The on-disk spool: order, persistence, and its size and age bounds."""

from __future__ import annotations

from pathlib import Path

from tests.agent.loopback import ManualClock
from watchkeep.agent.spool import Spool


def test_payloads_come_back_oldest_first_with_their_keys_and_exact_bytes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000, max_age_seconds=3600)
    for n in range(3):
        spool.append(f'{{"n":{n}}}'.encode(), f"key{n}")
    seen = []
    while (entry := spool.oldest()) is not None:
        seen.append((entry.key, entry.body()))
        spool.remove(entry)
    assert seen == [("key0", b'{"n":0}'), ("key1", b'{"n":1}'), ("key2", b'{"n":2}')]
    assert list(tmp_path.glob("*-key*.json")) == []


def test_a_reopened_spool_keeps_its_payloads_order_and_drop_count(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=25, max_age_seconds=3600)
    for n in range(4):
        spool.append(b"x" * 10, f"k{n}")
    assert spool.dropped == 2
    (tmp_path / ".0000000000000009-1-half.json.tmp").write_bytes(b"cut short")  # a crash mid-write
    reopened = Spool(tmp_path, max_bytes=25, max_age_seconds=3600)
    assert [e.key for e in reopened.entries()] == ["k2", "k3"]
    assert reopened.dropped == 2
    reopened.append(b"y" * 10, "k4")
    assert [e.key for e in reopened.entries()] == ["k3", "k4"]
    assert reopened.dropped == 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_past_its_size_bound_the_oldest_payloads_go_first_and_are_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=100, max_age_seconds=3600)
    for n in range(15):
        spool.append(b"p" * 10, f"k{n:02d}")
    assert [e.key for e in spool.entries()] == [f"k{n:02d}" for n in range(5, 15)]
    assert spool.size == 100
    assert spool.dropped == 5


def test_payloads_older_than_the_age_bound_are_dropped_and_counted(tmp_path: Path) -> None:
    clock = ManualClock()
    spool = Spool(tmp_path, max_bytes=1_000_000, max_age_seconds=600, now=clock)
    spool.append(b"old", "old")
    clock.advance(400)
    spool.append(b"newer", "newer")
    clock.advance(300)
    assert spool.enforce_bounds() == 1
    assert [e.key for e in spool.entries()] == ["newer"]
    assert spool.dropped == 1
