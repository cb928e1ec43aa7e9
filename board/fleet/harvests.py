"""Each wall's harvest (totals and awards) from the collected events, with the wall's own harvest code.

`board.wall.harvest.compute_harvest` folds the events exactly as the wall does
when it closes a period; this module only picks the span and reads the events the
wall's own report would read (`board.wall.reports`), from the fleet database.
Harvests are kept per wall (`Harvests`), so a page with 200 walls does not
fold 200 logs at every look.
"""

import threading
import time
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session, defer

from board.core.events import WallEvent
from board.core.harvest import Harvest, PeriodSpan
from board.core.settings import Level, WallSettings
from board.fleet.dashboard_config import DashboardConfig
from board.fleet.models import Event, Period, Wall
from board.wall.harvest import HARVEST_EVENTS, compute_harvest
from board.wall.reports import KNOWN_AFTER_SPAN

# A wall's harvest is refolded at most this often, however busy the wall: at 200 walls of 5 000 events a
# round of folding takes minutes of one core (docs/fleet.md), and a period's awards can wait ten minutes.
FRESH_SECONDS = 600.0
LIGHT = (defer(Wall.state), defer(Wall.snapshot))  # a wall's row without its big documents
Which = Literal["current", "last"]
WHICH: tuple[Which, ...] = ("current", "last")


@dataclass(frozen=True)
class WallHarvest:
    board_id: str
    name: str
    location: str | None
    harvest: Harvest | None  # None: no such period, or the wall's layout is not known
    settings: WallSettings | None


def wall_settings(wall: Wall, config: DashboardConfig, language: str) -> WallSettings | None:
    """The settings the harvest needs (levels from the wall's published layout), or None while it is unknown."""
    try:
        levels = [Level.model_validate(level) for level in wall.levels or []]
        return WallSettings(board_id=wall.board_id, language=language, timezone=config.timezone, levels=levels)
    except ValidationError:
        return None  # no layout yet (or one this version cannot read): shown as unknown, never guessed


def period_span(row: Period, tz: ZoneInfo) -> PeriodSpan:
    """A stored period as the wall's own report has it: in local time (a database may hand back UTC)."""
    return PeriodSpan(row.starts_at.astimezone(tz), row.ends_at.astimezone(tz), row.period_id, row.goal)


def spans(session: Session, wall: Wall, which: Which, tz: ZoneInfo) -> tuple[PeriodSpan | None, PeriodSpan | None]:
    """(the span, the period before it) for the wall's open period or the one before it."""
    rows = session.scalars(
        select(Period)
        .where(Period.board_id == wall.board_id, Period.period_id <= (wall.period_id or 0))
        # the open one, and the two before it at most
        .order_by(Period.period_id.desc())
        .limit(3)
    ).all()
    found = [period_span(row, tz) for row in rows]
    skip = 0 if which == "current" else 1
    span = found[skip] if len(found) > skip else None
    previous = found[skip + 1] if len(found) > skip + 1 else None
    return span, previous


def harvest_events(session: Session, board_id: str, span: PeriodSpan) -> list[WallEvent]:
    """The events `board.wall.reports.harvest_of` reads from a wall's own log, here from the collected copy."""
    types = [str(kind) for kind in HARVEST_EVENTS | set(KNOWN_AFTER_SPAN)]
    payloads = session.scalars(
        select(Event.payload)
        .where(
            Event.board_id == board_id,
            Event.type.in_(types),
            or_(Event.at < span.ends_at, Event.type.in_([str(kind) for kind in KNOWN_AFTER_SPAN])),
        )
        .order_by(Event.seq)
    )
    return [WallEvent.from_payload(payload) for payload in payloads]


class Harvests:
    """Every wall's harvest of a period, kept, and folded again only when its wall sent something new.

    Folding a wall's log takes most of a second at 5 000 events, and a busy fleet
    sends events all the time, so a look never waits for more than the walls it has
    never seen: with `keep_fresh` running (as in `fleet serve`) a changed wall is
    refolded in the background every FRESH_SECONDS; without it, by the look that
    finds it changed and older than FRESH_SECONDS (a period's awards do not change by the minute).
    """

    def __init__(self, config: DashboardConfig):
        self.config = config
        self._kept: dict[tuple[str, Which, str], _Kept] = {}
        self._lock = threading.Lock()
        self._in_background = False

    def all(self, session: Session, which: Which, language: str) -> list[WallHarvest]:
        walls = session.scalars(select(Wall).options(*LIGHT).order_by(Wall.name, Wall.board_id)).all()
        return [self.of(session, wall, which, language) for wall in walls]

    def of(self, session: Session, wall: Wall, which: Which, language: str, refresh: bool = False) -> WallHarvest:
        key = (wall.board_id, which, language)
        version = (wall.max_seq, wall.last_seq, wall.period_id)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and (
            kept.version == version
            or (not refresh and (self._in_background or time.monotonic() - kept.at < FRESH_SECONDS))
        ):
            return kept.harvest
        found = self._compute(session, wall, which, language)
        with self._lock:
            self._kept[key] = _Kept(version, time.monotonic(), found)
        return found

    def keep_fresh(self, engine: Engine) -> None:
        """Fold every wall's current harvest now, then every FRESH_SECONDS each harvest looked at whose wall changed."""
        self._in_background = True
        while True:
            with Session(engine) as session:
                walls = {wall.board_id: wall for wall in session.scalars(select(Wall).options(*LIGHT))}
                with self._lock:
                    wanted = set(self._kept) | {(board_id, "current", self.config.language) for board_id in walls}
                for board_id, which, language in sorted(wanted):
                    if board_id in walls:
                        self.of(session, walls[board_id], which, language, refresh=True)
            time.sleep(FRESH_SECONDS)

    def _compute(self, session: Session, wall: Wall, which: Which, language: str) -> WallHarvest:
        location = self.config.location_of(wall.board_id)
        settings = wall_settings(wall, self.config, language)
        span, previous = spans(session, wall, which, self.config.tz)
        if settings is None or span is None:
            return WallHarvest(wall.board_id, wall.name, location, None, settings)
        harvest = compute_harvest(harvest_events(session, wall.board_id, span), settings, span, previous)
        return WallHarvest(wall.board_id, wall.name, location, harvest, settings)


@dataclass(frozen=True)
class _Kept:
    version: tuple[int, int, int | None]  # the wall's (max_seq, last_seq, period_id) when computed
    at: float  # monotonic
    harvest: WallHarvest
