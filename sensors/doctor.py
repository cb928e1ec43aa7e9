"""`wallboard doctor --readers`: is every reader wired, answering, and seeing its cards?

`probe_readers` polls each reader and `print_probe_table` shows one line per reader:
slot, chip select, chip version, tags present now, poll time. `watch_readers` polls
over and over and prints each tag as it appears and disappears (raw polls, no
debounce: a flickering tag shows as flicker), for checking wiring card by card.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TextIO, runtime_checkable

from board.core.i18n import text
from sensors.base import Reader, fault_text


@runtime_checkable
class DescribedReader(Protocol):
    """Hardware readers say how they are wired and which chip answered."""

    wiring: str
    chip_version: str | None


@dataclass(frozen=True)
class ReaderProbe:
    reader_id: str
    wiring: str
    chip: str
    tags: frozenset[str]
    poll_ms: float | None
    fault: str | None


def _describe(reader: Reader) -> tuple[str, str]:
    if isinstance(reader, DescribedReader):
        return reader.wiring, reader.chip_version or "-"
    return "simulated", "-"


def probe_readers(
    readers: Mapping[str, Reader], *, clock: Callable[[], float] = time.perf_counter
) -> list[ReaderProbe]:
    """Poll each reader twice: once to bring it up, once timed as the scanner will see it."""
    probes = []
    for reader_id, reader in readers.items():
        tags, poll_ms, fault = frozenset(), None, None
        try:
            reader.poll()
            started = clock()
            tags = reader.poll()
            poll_ms = (clock() - started) * 1e3
        except Exception as error:  # a driver bug is a finding here too, not a traceback
            fault = fault_text(error)
        probes.append(ReaderProbe(reader_id, *_describe(reader), tags, poll_ms, fault))
    return probes


def print_probe_table(probes: list[ReaderProbe], out: TextIO, language: str) -> None:
    rows = [tuple(text("readers.columns", language).split("|"))]
    for probe in probes:
        poll = f"{probe.poll_ms:.1f}" if probe.poll_ms is not None else "-"
        seen = (
            text("readers.fault", language, fault=probe.fault) if probe.fault else (" ".join(sorted(probe.tags)) or "-")
        )
        rows.append((probe.reader_id, probe.wiring, probe.chip, poll, seen))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4], file=out)
    faults = sum(probe.fault is not None for probe in probes)
    answering = text("readers.answer", language, answering=len(probes) - faults, total=len(probes))
    print(answering + (text("readers.faulty", language, count=faults) if faults else ""), file=out)


def watch_readers(
    readers: Mapping[str, Reader],
    out: TextIO,
    language: str,
    *,
    interval_s: float = 0.1,
    sweeps: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print `+reader uid` when a tag appears, `-reader uid` when it goes, `!reader` on a fault."""
    seen: dict[str, frozenset[str]] = {reader_id: frozenset() for reader_id in readers}
    faulty: set[str] = set()
    started = clock()
    sweep = 0
    while sweeps is None or sweep < sweeps:
        sweep += 1
        for reader_id, reader in readers.items():
            stamp = f"{clock() - started:9.3f}s"
            try:
                tags = reader.poll()
            except Exception as error:
                if reader_id not in faulty:
                    faulty.add(reader_id)
                    print(f"{stamp}  !{reader_id}  {fault_text(error)}", file=out, flush=True)
                continue
            if reader_id in faulty:
                faulty.discard(reader_id)
                print(f"{stamp}  ={reader_id}  {text('readers.back', language)}", file=out, flush=True)
            for uid in sorted(tags - seen[reader_id]):
                print(f"{stamp}  +{reader_id}  {uid}", file=out, flush=True)
            for uid in sorted(seen[reader_id] - tags):
                print(f"{stamp}  -{reader_id}  {uid}", file=out, flush=True)
            seen[reader_id] = tags
        sleep(interval_s)
