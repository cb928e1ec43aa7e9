"""The snapshot view: what the screen, the LEDs and MQTT show, made from the state.

A pure function of the settings, the state and the directory, so a collector that
replays another wall's log can show that wall too.
"""

from datetime import datetime

from board.core.settings import WallSettings
from board.core.snapshot import (
    AttemptView,
    LevelView,
    MoveUpView,
    PadWindowView,
    PeriodView,
    PersonView,
    SlotStatus,
    SlotView,
    Snapshot,
)
from board.core.state import Directory, WallState
from board.wall import rules


def snapshot_of(
    config: WallSettings,
    state: WallState,
    directory: Directory,
    *,
    version: int,
    now: datetime,
    message: str | None,
    storage_failed: bool = False,
) -> Snapshot:
    occupants = {
        slot: person_id for person_id, (slot, _since) in state.positions.items() if person_id not in state.lifted
    }
    levels = tuple(
        LevelView(
            level.id,
            level.name,
            tuple(_slot_view(config, state, directory, slot, occupants.get(slot)) for slot in level.slots),
        )
        for level in config.levels
    )
    period = state.period
    if period is not None:
        period_view = PeriodView(
            period.id,
            period.starts_at,
            period.ends_at,
            period.goal,
            period.count,
            period.count_since(now.astimezone(config.tz).date()),
            len(period.tries),
            _people_on_the_team(directory),
        )
    else:  # no wall has run yet: show the period it will open, empty
        starts_at, ends_at = rules.period_bounds(config, now)
        period_view = PeriodView(
            0, starts_at, ends_at, rules.next_goal(state, config), 0, 0, people=_people_on_the_team(directory)
        )
    recent = tuple(
        AttemptView(
            a.id,
            name_of(directory, a.person_id),
            directory.coaches[a.coach_id].name if a.coach_id in directory.coaches else "",
            a.at,
        )
        for a in state.recent
    )
    ups = sorted(state.moved_up.items(), key=lambda item: item[1])
    moved_up = tuple(name_of(directory, person_id) for person_id, _at in ups)
    last_move_up = MoveUpView(name_of(directory, ups[-1][0]), ups[-1][1]) if ups else None
    pad = None
    if state.pad and state.pad.coach_id in directory.coaches:
        pad = PadWindowView(directory.coaches[state.pad.coach_id].name, state.pad.until)
    return Snapshot(
        version,
        config.board_id,
        config.language,
        now,
        levels,
        period_view,
        recent,
        moved_up,
        pad,
        message,
        tuple(sorted(state.offline)),
        state.sun_height,
        last_move_up,
        storage_failed=storage_failed,
    )


def _people_on_the_team(directory: Directory) -> int:
    """Registered people not archived: the whole sky the sun climbs (the share who had a go)."""
    return sum(1 for person in directory.people.values() if not person.archived)


def name_of(directory: Directory, person_id: int) -> str:
    info = directory.people.get(person_id)
    return info.name if info else "?"


def _slot_view(
    config: WallSettings, state: WallState, directory: Directory, slot: str, person_id: int | None
) -> SlotView:
    person = None
    moved_at = None
    if person_id is not None:
        info = directory.people.get(person_id)
        if info is not None:
            photo = str(config.photos_dir / info.photo) if info.photo else None
            person = PersonView(info.id, info.name, photo)
            moved_at = state.moved.get(person_id)
    unknown = sorted(uid for uid in state.present.get(slot, ()) if not directory.is_known(uid))
    if slot in state.offline:
        status = SlotStatus.OFFLINE
    elif person is not None:
        status = SlotStatus.OCCUPIED
    elif unknown:
        status = SlotStatus.UNKNOWN
    else:
        status = SlotStatus.EMPTY
    return SlotView(slot, status, person, unknown[0] if unknown else None, moved_at)
