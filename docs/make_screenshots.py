"""Regenerate the screenshots in docs/screens/: `python docs/make_screenshots.py`.

They are drawn headless from fixed sample walls (render/samples.py), so they
change only when the drawing does. Every wall size and every state the issue
of a readable screen names has one: look at each after a change to the drawing.
"""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pygame

from board.core.events import EventType, WallEvent
from board.core.snapshot import AttemptView, PadWindowView, PersonView
from board.dev.demo_window import DemoBadge, DemoCard, DemoWindow
from render.config import DisplayConfig
from render.samples import COACHES, PEOPLE, SAMPLE_NOW, sample_people, sample_snapshot, wall
from render.screenshot import render_png
from sensors.sim import SimulatedReader

SCREENS = Path(__file__).parent / "screens"
LONG_AND_WORLD_NAMES = {
    "A1": "Anne-Marie van den Berg-Oosterhout",
    "A2": "محمد العمري",
    "A3": "王小明",
    "A4": "Sanne 🌻",
    "B1": "Mohammed El Amrani",
    "B2": "Nguyễn Thị Minh Khai",
    "B3": "Ελένη Παπαδοπούλου",
    "B4": "李娜",
}


def _recent(names, count: int = 6) -> tuple[AttemptView, ...]:
    return tuple(
        AttemptView(
            id=100 - i,
            person=names[i % len(names)],
            coach=COACHES[i % 3],
            at=SAMPLE_NOW - timedelta(minutes=4 + 37 * i),
        )
        for i in range(count)
    )


def _crowd(levels, with_photos: bool = True, **kwargs):
    people = sample_people(levels, skip=(), with_photos=with_photos)
    return wall(
        levels,
        people,
        count=kwargs.pop("count", 37),
        goal=kwargs.pop("goal", 100),
        today=4,
        recent=_recent(PEOPLE),
        moved_up=("Sanne", "Lucas", "Yara"),
        **kwargs,
    )


def main() -> None:
    full_hd = DisplayConfig(size=(1920, 1080), night=(), burn_in_shift_pixels=0)
    portrait = full_hd.model_copy(update={"portrait": True})
    attempt = WallEvent(
        seq=1,
        at=SAMPLE_NOW,
        type=EventType.ATTEMPT_CONFIRMED,
        person_id=1,
        coach_id=1,
        details={"person_name": "Sanne de Vries", "coach_name": "Mo"},
    )
    moved_up = WallEvent(
        seq=2,
        at=SAMPLE_NOW,
        type=EventType.CARD_MOVED,
        person_id=9,
        slot_id="B3",
        details={"person_name": "Lotte Mulder", "level_change": 1},
    )
    goal = WallEvent(seq=3, at=SAMPLE_NOW, type=EventType.GOAL_REACHED, details={"count": 100})
    refused = WallEvent(
        seq=4,
        at=SAMPLE_NOW,
        type=EventType.ATTEMPT_REJECTED,
        person_id=1,
        coach_id=1,
        details={"person_name": "Sanne de Vries", "coach_name": "Mo", "reason": "duplicate"},
    )
    sample = sample_snapshot()
    reached = replace(sample, period=replace(sample.period, count=100, today=11))
    world = {
        sid: PersonView(id=200 + n, name=name, photo=None) for n, (sid, name) in enumerate(LONG_AND_WORLD_NAMES.items())
    }
    names_wall = wall(
        (6, 6, 6, 6),
        {**sample_people((6, 6, 6, 6), with_photos=False), **world},
        count=12,
        goal=40,
        today=2,
        recent=_recent(list(LONG_AND_WORLD_NAMES.values())),
        moved_up=tuple(LONG_AND_WORLD_NAMES.values()),
    )
    pad = replace(
        sample, pad_window=PadWindowView(coach="Kees van der Heijden-Bakker", until=SAMPLE_NOW + timedelta(seconds=20))
    )
    one_of_fifty = _crowd((6, 6, 6, 6, 6), count=1, goal=50)
    sun_wall = replace(sample, period=replace(sample.period, people_tried=17, people=28))
    shots = {  # name: (snapshot, settings, events, seconds into the celebration)
        "wall-5x6-photos.png": (sample, full_hd, (), 0),
        "wall-5x12.png": (_crowd((12,) * 5), full_hd, (), 0),
        "wall-4x20-80-slots.png": (_crowd((20,) * 4), full_hd, (), 0),
        "wall-uneven-20-6-3.png": (_crowd((20, 6, 3)), full_hd, (), 0),
        "portrait-5x6.png": (sample, portrait, (), 0),
        "portrait-5x12.png": (_crowd((12,) * 5), portrait, (), 0),
        "names-long-and-non-latin.png": (names_wall, full_hd, (), 0),
        "no-photos-initials.png": (_crowd((6,) * 5, with_photos=False), full_hd, (), 0),
        "empty-wall.png": (wall(), full_hd, (), 0),
        "celebration-attempt.png": (sample, full_hd, (attempt,), 0.9),
        "celebration-move-up.png": (sample, full_hd, (moved_up,), 1.0),
        "refused-kindly.png": (sample, full_hd, (refused,), 1.0),
        "celebration-goal-full-screen.png": (reached, full_hd, (goal,), 1.8),
        "celebration-goal-wall-back.png": (reached, full_hd, (goal,), 4.5),
        "celebration-still-reduced-motion.png": (
            sample,
            full_hd.model_copy(update={"reduced_motion": True}),
            (attempt,),
            1.0,
        ),
        "pad-window.png": (pad, full_hd, (), 0),
        "one-of-fifty.png": (one_of_fifty, full_hd, (), 0),
        "goal-reached.png": (reached, full_hd, (), 0),
        "sun.png": (sun_wall, full_hd.model_copy(update={"sun": True}), (), 0),
        "sun-portrait.png": (sun_wall, portrait.model_copy(update={"sun": True}), (), 0),
        "english-1280x720.png": (sample_snapshot("en"), full_hd.model_copy(update={"size": (1280, 720)}), (), 0),
    }
    for name, (snapshot, config, events, seconds) in shots.items():
        print(render_png(snapshot, config, SCREENS / name, events=events, seconds_into_celebration=seconds))
    print(demo_with_the_pad_open(pad, SCREENS / "demo-pad-open.png"))


def demo_with_the_pad_open(snapshot, out: Path) -> Path:
    """The demo window (`wallboard demo`) while a coach with a long name has the pad open."""
    readers = {slot.id: SimulatedReader(slot.id) for level in snapshot.levels for slot in level.slots}
    readers["pad"] = SimulatedReader("pad")
    config = DisplayConfig(size=(1280, 720), fullscreen=False, night=(), video_driver="dummy")
    with DemoWindow(
        config,
        readers,
        cards=[DemoCard("04AA0000000001", "Sanne de Vries")],
        badges=[DemoBadge("C0AC0001", "Kees")],
        clock=lambda: SAMPLE_NOW,
        ticks=lambda: 0.0,
    ).open() as demo:
        demo.help_visible = False  # as after the first click
        demo.on_snapshot(snapshot)
        demo.step()
        pygame.image.save(demo.window, str(out))  # the whole window: the wall and the table under it
    return out


if __name__ == "__main__":
    main()
