"""`wallboard screenshot`: the wall as the screen would show it, into a PNG, headless."""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from board.core.events import WallEvent
from board.core.snapshot import Snapshot
from render.config import DisplayConfig
from render.display import WallDisplay


def render_png(
    snapshot: Snapshot,
    config: DisplayConfig,
    out: Path | str,
    *,
    now: datetime | None = None,
    events: Iterable[WallEvent] = (),
    seconds_into_celebration: float = 1.2,
) -> Path:
    """Draw `snapshot` at `now` (default: the snapshot's time) and save it upright.

    Pass `events` to catch a celebration `seconds_into_celebration` after it starts.
    Uses SDL's dummy video driver, so it works over SSH and next to a running wall.
    """
    config = config.model_copy(update={"video_driver": "dummy", "fullscreen": False})
    moment = now or snapshot.now
    ticks = [0.0]
    with WallDisplay(config, clock=lambda: moment, ticks=lambda: ticks[0]).open() as display:
        display.on_snapshot(snapshot)
        for event in events:
            display.on_event(event)
        display.step()
        if display.celebration is not None:
            ticks[0] = seconds_into_celebration
            display.step()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        display.save_png(out)
    return out
