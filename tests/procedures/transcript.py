"""What the simulated instruments received during a run, message by message, per row.

Recorded at the bench (each instrument model's ``process``), so it is what reached the
instruments, not what labspin believes it sent. ``Transcript.rows`` splits the messages
at the rows the procedure emitted; a row's messages are those after the previous row,
so they include the field ramp and settling that lead to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: queries that read a measurement or an event register: asked again at every point on
#: purpose (a new reading, the compliance latched since the last look)
READINGS = (":READ?", "MEASURE:CURRENT?", "MEAS:CURR?", "RDGFIELD?", ":STAT:MEAS?",
            "OUTP?1", "OUTP?2", "OUTP?3", "OUTP?4", "SNAP?", "LIAS?", ":TRAC:DATA?",
            "SYST:ERR?", "*OPC?", "KRDG?", "TP?")


@dataclass(frozen=True)
class Message:
    role: str
    text: str

    @property
    def query(self) -> bool:
        return "?" in self.text


@dataclass
class Transcript:
    """Messages the bench's instruments received, and the row marks."""

    messages: list[Message] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)  # len(messages) at each emitted row

    def mark(self, *_: Any) -> None:
        self.marks.append(len(self.messages))

    def rows(self) -> list[list[Message]]:
        """The messages leading to each row, from the first row on (row 0's own are
        everything before it: startup and preparation)."""
        bounds = list(zip(self.marks, self.marks[1:], strict=False))
        return [self.messages[a:b] for a, b in bounds]

    def per_point(self) -> float:
        """Mean messages per row after the first (the first carries the set-up)."""
        rows = self.rows()
        return sum(map(len, rows)) / len(rows) if rows else float("nan")

    def repeated_state_queries(self) -> list[Message]:
        """Queries of settings (not of readings) asked more than once within any one
        row's messages, or in every one of the rows: state that did not change between
        them, asked again."""
        rows = self.rows()
        repeats: list[Message] = []
        every: Counter[Message] = Counter()
        for messages in rows:
            seen = Counter(m for m in messages if m.query and not _is_reading(m))
            repeats += [m for m, n in seen.items() if n > 1]
            every.update(seen.keys())
        if len(rows) > 2:
            repeats += [m for m, n in every.items() if n == len(rows)]
        return sorted(set(repeats), key=lambda m: (m.role, m.text))


def _is_reading(message: Message) -> bool:
    text = message.text.upper().replace(" ", "")
    return any(text.startswith(r.replace(" ", "")) or text == r for r in READINGS)


@contextmanager
def recording(station: Any = None) -> Iterator[Transcript]:
    """Record every message a simulated instrument receives from a VISA client (the
    GPIB traffic; not the 6221's own RS-232 link to the 2182A)."""
    from labspin.simulated_instruments.scpi import split_messages
    from labspin.simulated_instruments.visa import BenchSession

    transcript = Transcript()
    original = BenchSession.write

    def write(session: Any, data: bytes, lock: Any) -> Any:
        if station is None or session.bench is station.bench:
            complete, _ = split_messages(session.pending + data)
            transcript.messages += [Message(session.instrument.name, m) for m in complete]
        return original(session, data, lock)

    BenchSession.write = write
    try:
        yield transcript
    finally:
        BenchSession.write = original
