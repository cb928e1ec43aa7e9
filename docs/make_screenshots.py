"""Regenerate the screenshots in docs/: `python docs/make_screenshots.py`.

They are drawn headless from the fixed sample wall (render/samples.py), so they
change only when the drawing does.
"""

from dataclasses import replace
from pathlib import Path

from board.core.events import EventType, WallEvent
from render.config import DisplayConfig
from render.samples import SAMPLE_NOW, sample_snapshot, wall
from render.screenshot import render_png

DOCS = Path(__file__).parent


def main() -> None:
    full_hd = DisplayConfig(size=(1920, 1080), night=(), burn_in_shift_pixels=0)
    attempt = WallEvent(seq=1, at=SAMPLE_NOW, type=EventType.ATTEMPT_CONFIRMED, person_id=1, coach_id=1,
                        details={"person_name": "Sanne de Vries", "coach_name": "Mo"})
    goal = WallEvent(seq=2, at=SAMPLE_NOW, type=EventType.GOAL_REACHED, details={"count": 100})
    refused = WallEvent(seq=3, at=SAMPLE_NOW, type=EventType.ATTEMPT_REJECTED, person_id=1, coach_id=1,
                        details={"person_name": "Sanne de Vries", "coach_name": "Mo", "reason": "duplicate"})
    sample = sample_snapshot()
    reached = replace(sample, period=replace(sample.period, count=100, today=11))
    shots = {  # name: (snapshot, settings, events, seconds into the celebration)
        "screen-1920x1080.png": (sample, full_hd, (), 0),
        "screen-empty.png": (wall(), full_hd, (), 0),
        "screen-1280x720-en.png": (sample_snapshot("en"), full_hd.model_copy(update={"size": (1280, 720)}), (), 0),
        "screen-portrait.png": (sample, full_hd.model_copy(update={"portrait": True}), (), 0),
        "screen-celebration.png": (sample, full_hd, (attempt,), 0.9),
        "screen-goal.png": (reached, full_hd, (goal,), 2.5),
        "screen-refused.png": (sample, full_hd, (refused,), 1.0),
    }
    for name, (snapshot, config, events, seconds) in shots.items():
        print(render_png(snapshot, config, DOCS / name, events=events, seconds_into_celebration=seconds))


if __name__ == "__main__":
    main()
