"""Exports of the recorded wall: every confirmed attempt once, stable columns, pages that fit together."""

import csv
import io
import json
import re
from pathlib import Path

from board.core.events import EventType
from board.wall.export import TABLES, as_csv, as_json, export_rows, page
from board.wall.reports import resolve_span
from tests.harness import DAAN, ILSE_BADGE, MO_BADGE, SANNE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "export.md"


def busy_morning(wall) -> None:
    """Attempts by slot and pad, a duplicate and a self-confirmation refused, one voided later."""
    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    for _minute in range(5):
        wall.tap("A1", MO_BADGE)
        wall.tap("A2", ILSE_BADGE)
        wall.tap("A2", ILSE_BADGE)  # within the duplicate window: refused
        wall.wait(61)
    wall.tap("pad", MO_BADGE)
    wall.tap("pad", DAAN)
    wall.wait(30)
    wall.service.void_attempt(3, "tapped by mistake")


def confirmed_in_log(wall) -> list[int]:
    return [
        e.details["attempt_id"] for e in wall.store.events_since(0, 10_000) if e.type is EventType.ATTEMPT_CONFIRMED
    ]


def test_every_confirmed_attempt_in_the_log_appears_once_in_the_csv(wall):
    busy_morning(wall)
    span = resolve_span(wall.store, wall.config, "all", wall.clock.now())
    rows = list(csv.DictReader(io.StringIO(as_csv("attempts", export_rows(wall.store, wall.config, "attempts", span)))))
    assert sorted(int(row["attempt_id"]) for row in rows) == sorted(confirmed_in_log(wall))
    assert len(rows) == 11
    assert [row["attempt_id"] for row in rows if row["voided"] == "true"] == ["3"]
    assert {row["via"] for row in rows} == {"slot", "pad"}
    assert rows[0]["at"].startswith("2026-11-23T09:00") and rows[0]["at"].endswith("+01:00")


def test_the_json_export_holds_the_same_rows_with_real_types(wall):
    busy_morning(wall)
    span = resolve_span(wall.store, wall.config, "current", wall.clock.now())
    rows = export_rows(wall.store, wall.config, "attempts", span)
    parsed = json.loads(as_json(rows))
    assert parsed == rows and parsed[2]["voided"] is True and parsed[0]["coach_name"] == "Mo"


def test_moves_and_events_round_trip_and_people_keep_the_archived(wall):
    busy_morning(wall)
    wall.show("A1")
    wall.show("B3", SANNE)
    wall.service.archive_person(wall.people["Daan"])
    span = resolve_span(wall.store, wall.config, "all", wall.clock.now())
    events = list(csv.DictReader(io.StringIO(as_csv("events", export_rows(wall.store, wall.config, "events", span)))))
    assert [int(row["seq"]) for row in events] == list(range(1, wall.store.last_seq() + 1))
    assert json.loads(events[-1]["details"]) == {"person_name": "Daan"}
    moves = export_rows(wall.store, wall.config, "moves", span)
    assert [(m["person_name"], m["from_slot"], m["to_slot"], m["level_change"]) for m in moves] == [
        ("Sanne", None, "A1", None),
        ("Daan", None, "A2", None),
        ("Sanne", "A1", "B3", 1),
    ]  # archiving is no move
    people = export_rows(wall.store, wall.config, "people", span)
    assert [(p["name"], p["archived"], p["slot"]) for p in people] == [
        ("Sanne", False, "B3"),
        ("Daan", True, None),
        ("Ilse", False, None),
    ]


def test_pages_cover_every_row_once(wall):
    busy_morning(wall)
    span = resolve_span(wall.store, wall.config, "all", wall.clock.now())
    rows = export_rows(wall.store, wall.config, "attempts", span)
    seen, after, more = [], 0, True
    while more:
        chosen, after, more = page("attempts", rows, after, 4)
        seen += chosen
    assert seen == rows


def test_the_documented_columns_are_the_exported_ones():
    documented = {}
    for section in DOCS.read_text(encoding="utf-8").split("\n## ")[1:]:
        name = section.split("\n", 1)[0].strip()
        documented[name] = tuple(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert documented == {name: table.columns for name, table in TABLES.items()}
