"""How fast the screen draws, and what it costs while nothing happens.

`run()` returns JSON-able figures for `wallboard bench` (key "display"). It
draws with SDL's dummy video driver, so it measures our drawing, not a
monitor's refresh; run it on the Pi itself for the figures that matter there.
"""

import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pygame

from board.core.snapshot import PersonView, Snapshot
from render.config import DisplayConfig
from render.display import WallDisplay
from render.samples import DEMO_PHOTOS, PEOPLE, slot_id, wall
from render.scene import WallPainter

CAMERA_PHOTO = (1200, 1600)  # what a phone photo is scaled to before upload, roughly


def run(
    *,
    idle_seconds: float = 60.0,
    size: tuple[int, int] = (1920, 1080),
    levels: int = 6,
    slots_per_level: int = 8,
    repeats: int = 10,
) -> dict:
    """Draw times with levels×slots photos, and idle CPU over `idle_seconds`: a full frame (the whole
    picture copied from the kept parts, as after a burn-in move and in every frame of a celebration),
    a card move (two cells copied), and a rebuild (a new painter: background, every card and the
    panel drawn anew, as after a config reload)."""
    config = DisplayConfig(size=size, fullscreen=False, video_driver="dummy", night=(), burn_in_shift_pixels=0)
    display = WallDisplay(config, clock=lambda: datetime.now().astimezone()).open()  # no night in a bench
    with tempfile.TemporaryDirectory() as folder:
        snapshot = _wall_of_photos(Path(folder), levels, slots_per_level)
        started = time.perf_counter()
        display.on_snapshot(snapshot)
        display.step()
        first_frame = time.perf_counter() - started
        rebuilt_frames = [_rebuilt_frame(display, snapshot) for _ in range(repeats)]
        full_frames = [_full_frame(display, version) for version in range(2, repeats + 2)]
        move_frames = [_one_move(display, version) for version in range(repeats + 2, 2 * repeats + 2)]
        frames_before = display.frames_presented
        cpu_seconds = _idle_cpu(display, idle_seconds)
    return {
        "screen": f"{size[0]}x{size[1]}",
        "photos": levels * slots_per_level,
        "video_driver": "dummy",
        "first_frame_ms": round(first_frame * 1000, 1),  # includes loading and scaling every photo
        "full_frame_ms_median": _ms(statistics.median(full_frames)),
        "card_move_frame_ms_median": _ms(statistics.median(move_frames)),
        "rebuild_frame_ms_median": _ms(statistics.median(rebuilt_frames)),
        "faces_kept": display.painter.faces_kept,
        "idle_seconds": idle_seconds,
        "idle_cpu_seconds": round(cpu_seconds, 4),
        "idle_cpu_percent_of_a_core": round(100 * cpu_seconds / idle_seconds, 3),
        "idle_frames_drawn": display.frames_presented - frames_before,
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _wall_of_photos(folder: Path, levels: int, slots_per_level: int) -> Snapshot:
    """Every slot taken by someone with their own camera-sized photo (no two share a cache entry)."""
    portraits = sorted(DEMO_PHOTOS.glob("*.png"))
    people = {}
    for number in range(levels * slots_per_level):
        image = pygame.transform.smoothscale(pygame.image.load(str(portraits[number % len(portraits)])), CAMERA_PHOTO)
        path = folder / f"person-{number}.jpg"
        pygame.image.save(image, str(path))
        sid = slot_id(number // slots_per_level, number % slots_per_level)
        people[sid] = PersonView(id=number + 1, name=PEOPLE[number % len(PEOPLE)], photo=str(path))
    return wall(levels=(slots_per_level,) * levels, people=people, count=37, today=4, now=datetime.now().astimezone())


def _rebuilt_frame(display: WallDisplay, snapshot: Snapshot) -> float:
    """Everything drawn anew (fonts and scaled photos cached, as after a config reload)."""
    painter = display.painter
    display.backdrop.owner = None
    display.painter = WallPainter(
        display.view_size, fonts=painter.fonts, photos=painter.photos, sun=painter.sun, backdrop=display.backdrop
    )
    started = time.perf_counter()
    display.on_snapshot(snapshot)
    display.step()
    return time.perf_counter() - started


def _full_frame(display: WallDisplay, version: int) -> float:
    """The whole picture copied onto the screen from the parts (nothing in it changed)."""
    display.forget_screen()
    started = time.perf_counter()
    display.on_snapshot(replace(display.snapshot, version=version))
    display.step()
    return time.perf_counter() - started


def _one_move(display: WallDisplay, version: int) -> float:
    """Two people swap slots: two cards change, like a move; everything else is reused."""
    snapshot = display.snapshot
    level = snapshot.levels[version % len(snapshot.levels)]
    first, second = level.slots[0], level.slots[1]
    swapped = tuple(
        replace(first, person=second.person)
        if slot.id == first.id
        else replace(second, person=first.person)
        if slot.id == second.id
        else slot
        for slot in level.slots
    )
    levels = tuple(replace(level, slots=swapped) if candidate is level else candidate for candidate in snapshot.levels)
    started = time.perf_counter()
    display.on_snapshot(replace(snapshot, levels=levels, version=version))
    display.step()
    return time.perf_counter() - started


def _idle_cpu(display: WallDisplay, seconds: float) -> float:
    """CPU time the display loop uses while nothing changes."""
    stopper = threading.Timer(seconds, display.stop)
    started = time.process_time()
    stopper.start()
    display.run()
    return time.process_time() - started
