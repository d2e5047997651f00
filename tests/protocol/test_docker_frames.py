"""The engine's multiplexed log stream decoded into lines, however the bytes arrive."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from watchkeep.protocol.docker import STDERR, STDOUT, FrameDecoder, LogLine


def frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


STREAM = (
    frame(1, b"2026-12-03T05:00:00.000000001Z hello\n")
    + frame(2, b"2026-12-03T05:00:01.5Z oops: half")
    + frame(2, b" a line\n2026-12-03T05:00:02Z second\n")
    + frame(1, b"2026-12-03T05:00:03Z no newline")
)
EXPECTED = [
    LogLine(STDOUT, "2026-12-03T05:00:00.000000001Z", "hello"),
    LogLine(STDERR, "2026-12-03T05:00:01.5Z", "oops: half a line"),
    LogLine(STDERR, "2026-12-03T05:00:02Z", "second"),
    LogLine(STDOUT, "2026-12-03T05:00:03Z", "no newline"),
]


def decode(chunks: list[bytes], multiplexed: bool | None) -> list[LogLine]:
    decoder = FrameDecoder(multiplexed=multiplexed, timestamps=True)
    lines = [line for chunk in chunks for line in decoder.feed(chunk)]
    return lines + decoder.close()


def test_a_multiplexed_stream_becomes_lines_of_each_stream() -> None:
    assert decode([STREAM], multiplexed=True) == EXPECTED


def test_an_unnamed_stream_is_recognised_by_its_first_header() -> None:
    assert decode([STREAM], multiplexed=None) == EXPECTED


def test_a_raw_stream_is_all_stdout() -> None:
    raw = b"2026-12-03T05:00:00Z typed on a tty\r\nplain\n"
    assert decode([raw], multiplexed=None) == [
        LogLine(STDOUT, "2026-12-03T05:00:00Z", "typed on a tty"),
        LogLine(STDOUT, None, "plain"),
    ]
    assert decode([b"short"], multiplexed=None) == [LogLine(STDOUT, None, "short")]


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), unique=True))
def test_the_lines_do_not_depend_on_where_the_bytes_were_cut(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(bounds)]
    assert decode(chunks, multiplexed=None) == EXPECTED
