"""Each wall's harvest (totals and awards) from the collected events, with the wall's own harvest code.

`board.wall.harvest.compute_harvest` folds the events exactly as the wall does
when it closes a period; this module only picks the span and reads the events the
wall's own report would read (`board.wall.reports`), from the fleet database.
Harvests are kept per wall (`Harvests`), so a page with 200 walls does not
fold 200 logs at every look.
"""

import logging
import threading
import time
from collections.abc import Callable
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

log = logging.getLogger(__name__)
# A wall's harvest is refolded at most this often, however busy the wall: at 200 walls of 5 000 events a
# round of folding takes minutes of one core (docs/fleet.md), and a period's awards can wait ten minutes.
FRESH_SECONDS = 600.0
LIGHT = (defer(Wall.state), defer(Wall.snapshot))  # a wall's row without its big documents
# A look waits this long for harvests never folded; the walls not ready by then are shown as being computed.
WAIT_SECONDS = 3.0
Which = Literal["current", "last"]
Key = tuple[str, Which, str]  # (board_id, which period, language)
WHICH: tuple[Which, ...] = ("current", "last")


@dataclass(frozen=True)
class WallHarvest:
    board_id: str
    name: str
    location: str | None
    harvest: Harvest | None  # None: no such period, or the wall's layout is not known
    settings: WallSettings | None
    pending: bool = False  # not folded yet: shown as still being computed


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

    Folding a wall's log takes most of a second at 5 000 events, so a look never
    folds: one worker thread does, and a look waits at most `wait` seconds for the
    walls it has never seen; those not ready by then are shown as still being
    computed (`WallHarvest.pending`) and the page, which refreshes itself, shows them
    later. A changed wall is folded again at most every FRESH_SECONDS (a period's
    awards do not change by the minute); `keep_fresh` (as in `fleet serve`) starts
    on every wall's current harvest before anyone looks.
    """

    def __init__(self, config: DashboardConfig, engine: Engine, wait: float = WAIT_SECONDS):
        self.config = config
        self.engine = engine
        self.wait = wait
        self._kept: dict[Key, _Kept] = {}
        self._queue: dict[Key, None] = {}  # asked for and not folded yet, in the order asked
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None

    def all(
        self, which: Which, language: str, wait: float | None = -1.0, only: Callable[[str], bool] | None = None
    ) -> list[WallHarvest]:
        """Every wall's harvest (or those whose board_id passes `only`); `wait` seconds at most for those never
        folded (None: until all are; -1: the default).

        The walls are read in a transaction of their own, closed before waiting: on SQLite every
        fleet transaction takes the write lock (board/fleet/db.py), and the worker needs one too."""
        with Session(self.engine) as session:
            walls = session.scalars(select(Wall).options(*LIGHT).order_by(Wall.name, Wall.board_id)).all()
        walls = [wall for wall in walls if only is None or only(wall.board_id)]
        keys = [(wall.board_id, which, language) for wall in walls]
        with self._lock:
            for wall, key in zip(walls, keys, strict=True):
                kept = self._kept.get(key)
                if kept is None or (kept.version != _version(wall) and time.monotonic() - kept.at >= FRESH_SECONDS):
                    self._ask(key)
            limit = self.wait if wait is not None and wait < 0 else wait
            deadline = None if limit is None else time.monotonic() + limit
            while any(key not in self._kept for key in keys):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left)
            kept_now = {key: self._kept[key].harvest for key in keys if key in self._kept}
        return [
            kept_now.get(key)
            or WallHarvest(wall.board_id, wall.name, self.config.location_of(wall.board_id), None, None, True)
            for wall, key in zip(walls, keys, strict=True)
        ]

    def keep_fresh(self) -> None:
        """Ask for every wall's current harvest now, then every FRESH_SECONDS for each kept one whose wall changed."""
        while True:
            with Session(self.engine) as session:
                walls = {wall.board_id: wall for wall in session.scalars(select(Wall).options(*LIGHT))}
            with self._lock:
                wanted = set(self._kept) | {(board_id, "current", self.config.language) for board_id in walls}
                for key in sorted(wanted):
                    kept = self._kept.get(key)
                    if key[0] in walls and (kept is None or kept.version != _version(walls[key[0]])):
                        self._ask(key)
            time.sleep(FRESH_SECONDS)

    def _ask(self, key: Key) -> None:
        """Queue a fold (the lock is held) and start the worker if it is not running."""
        self._queue.setdefault(key, None)
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="dashboard-harvests", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        """Fold what is queued, one wall at a time, until nothing is; then end (the next ask starts another)."""
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                key = next(iter(self._queue))
            board_id, which, language = key
            try:
                with Session(self.engine) as session:
                    wall = session.scalars(select(Wall).options(*LIGHT).where(Wall.board_id == board_id)).one()
                    found = _Kept(_version(wall), time.monotonic(), self._compute(session, wall, which, language))
            except Exception:  # a database that went away: this wall stays pending, the next look asks again
                log.exception("folding the harvest of %s failed", board_id)
                found = None
            with self._lock:
                self._queue.pop(key, None)
                if found is not None:
                    self._kept[key] = found
                self._lock.notify_all()

    def _compute(self, session: Session, wall: Wall, which: Which, language: str) -> WallHarvest:
        location = self.config.location_of(wall.board_id)
        settings = wall_settings(wall, self.config, language)
        span, previous = spans(session, wall, which, self.config.tz)
        if settings is None or span is None:
            return WallHarvest(wall.board_id, wall.name, location, None, settings)
        harvest = compute_harvest(harvest_events(session, wall.board_id, span), settings, span, previous)
        return WallHarvest(wall.board_id, wall.name, location, harvest, settings)


def _version(wall: Wall) -> tuple[int, int, int | None]:
    """What changes when a wall sent something new: its (max_seq, last_seq, period_id)."""
    return wall.max_seq, wall.last_seq, wall.period_id


@dataclass(frozen=True)
class _Kept:
    version: tuple[int, int, int | None]  # the wall's (max_seq, last_seq, period_id) when computed
    at: float  # monotonic
    harvest: WallHarvest
