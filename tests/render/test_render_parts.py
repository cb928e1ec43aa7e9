"""The screen copies only what changed from parts it keeps, and that picture is the full redraw's,
pixel for pixel; it keeps no more than the screen and one full-screen layer, and bounded caches."""

import gc
import types
from dataclasses import replace
from datetime import timedelta

import pygame
import pytest

from board.core.events import EventType, WallEvent
from board.core.snapshot import PersonView
from render import scene
from render.samples import SAMPLE_NOW, wall
from tests.harness import MO_BADGE, SANNE
from tests.render_support import HandClock, headless_display, solid_photo

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SETTINGS = {
    "size": (1280, 720),
    "burn_in_shift_pixels": 3,  # the picture stands a few pixels off, as on a wall most of the day
    "night": [{"days": EVERY_DAY, "start": "22:00", "end": "06:00", "mode": "dim"}],
    "sun": True,
}


def picture(display) -> bytes:
    return pygame.image.tobytes(display.screen, "RGB")


def full_redraw(snapshot, now, tick: float = 0.0, events=(), later: float | None = None) -> bytes:
    """A new screen with empty caches draws `snapshot` whole (a celebration `later` seconds in)."""
    clock = HandClock(now)
    clock.tick = tick
    display = headless_display(clock, **SETTINGS)
    display.on_snapshot(snapshot)
    for event in events:
        display.on_event(event)
    display.step()
    if later is not None:
        clock.tick = tick + later
        display.step()
    return picture(display)


def test_a_frame_from_kept_parts_equals_a_full_redraw_after_every_kind_of_change(tmp_path, wall_with_harvest):
    red = solid_photo(tmp_path / "red.png", (200, 40, 40))
    blue = solid_photo(tmp_path / "blue.png", (40, 60, 200))
    sanne = PersonView(id=1, name="Sanne de Vries", photo=red)
    mo = PersonView(id=2, name="Mo", photo=None)
    clock = HandClock(SAMPLE_NOW)
    display = headless_display(clock, **SETTINGS)

    def shows(snapshot, events=(), later=None):
        display.on_snapshot(snapshot)
        for event in events:
            display.on_event(event)
        started = clock.tick
        display.step()
        if later is not None:
            clock.tick += later
            display.step()
        assert picture(display) == full_redraw(snapshot, clock.now, started, events, later)

    shows(wall(people={"A1": sanne, "B3": mo}, count=3, version=1))
    moved = wall(people={"A4": sanne, "B3": mo}, moved_at={"A4": SAMPLE_NOW}, count=3, version=2)
    shows(moved)  # a card moved: it glows in its new slot
    shows(wall(people={"A4": replace(sanne, photo=blue), "B3": mo}, count=3, version=3))  # a new photo
    attempt = WallEvent(
        seq=9,
        at=SAMPLE_NOW,
        type=EventType.ATTEMPT_CONFIRMED,
        person_id=1,
        coach_id=3,
        details={"person_name": "Sanne de Vries", "coach_name": "Mo"},
    )
    counted = wall(people={"A4": replace(sanne, photo=blue), "B3": mo}, count=4, today=1, version=4)
    shows(counted, events=(attempt,), later=0.9)  # confetti mid-flight, under the names
    clock.tick += 10
    display.step()  # the celebration is over: the wall comes back from the parts
    assert picture(display) == full_redraw(counted, clock.now)
    clock.now = SAMPLE_NOW.replace(hour=23)
    shows(replace(counted, version=5))  # a dim night
    clock.now = SAMPLE_NOW + timedelta(days=1)
    shows(replace(counted, version=6))  # morning: a new date on the panel, the glow still on
    harvest = wall_with_harvest.service.snapshot().harvest
    shows(replace(counted, harvest=harvest, version=7))
    shows(replace(counted, version=8))  # the wall after the harvest: its background drawn anew


@pytest.fixture
def wall_with_harvest(wall):
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    wall.show("A1")
    wall.service.close_period()
    return wall


def full_screen_surfaces(root, size) -> int:
    """Surfaces of `size` or larger that `root` keeps, following its attributes, lists and dicts."""
    seen, found, todo = set(), set(), [root]
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, skip):
            continue
        seen.add(id(item))
        if isinstance(item, pygame.Surface):
            if item.get_parent() is None and item.get_width() * item.get_height() >= size[0] * size[1]:
                found.add(id(item))
            continue
        todo.extend(gc.get_referents(item))
    return len(found)


def test_the_screen_keeps_one_full_screen_layer_besides_the_screen_through_wall_harvest_and_wall(
    wall_with_harvest,
):
    display = headless_display(**SETTINGS)
    snapshot = wall(people={"A1": SANNE_VIEW}, count=1)
    display.on_snapshot(snapshot)
    display.step()
    display.on_snapshot(replace(snapshot, harvest=wall_with_harvest.service.snapshot().harvest, version=2))
    display.step()
    display.on_snapshot(replace(snapshot, version=3))
    display.step()
    assert full_screen_surfaces(display, SETTINGS["size"]) == 2  # the screen and the backdrop


def test_a_portrait_screen_keeps_the_upright_picture_too_and_nothing_more():
    display = headless_display(**{**SETTINGS, "portrait": True})
    display.on_snapshot(wall(people={"A1": SANNE_VIEW}))
    display.step()
    assert full_screen_surfaces(display, (720, 720)) == 3  # the screen, the upright picture, the backdrop


SANNE_VIEW = PersonView(id=1, name="Sanne", photo=None)


def test_the_tilted_faces_kept_stay_bounded_however_many_people_pass(monkeypatch):
    monkeypatch.setattr(scene, "FACES_KEPT", 12)
    display = headless_display(**SETTINGS)
    for crowd in range(4):  # 4 × 30 different people through the wall's 30 slots
        people = {
            f"{chr(ord('A') + i // 6)}{i % 6 + 1}": PersonView(id=100 * crowd + i, name=f"P{crowd}-{i}", photo=None)
            for i in range(30)
        }
        display.on_snapshot(wall(people=people, version=crowd + 1))
        display.step()
    assert display.painter.faces_kept == 12
    assert len(display.painter.parts()) == 30 + 2  # a part per card, the sun and the panel: nothing piles up


def test_a_moved_card_copies_only_its_two_cells_to_the_screen():
    display = headless_display(**{**SETTINGS, "burn_in_shift_pixels": 0})
    updated = []
    display.output.present = lambda areas=None: updated.append(areas)
    display.on_snapshot(wall(people={"A1": SANNE_VIEW}, version=1))
    display.step()
    display.on_snapshot(wall(people={"A2": SANNE_VIEW}, version=2))
    display.step()
    layout = display.painter.layout
    assert updated == [None, [layout.card("A1").cell, layout.card("A2").cell]]
