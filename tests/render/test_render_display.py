"""The display loop: hand-over from the service thread, draw on change, celebrations, schedules."""

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pygame
import pytest

from board.core.events import EventType, WallEvent
from board.core.snapshot import PersonView
from render import display as display_module
from render.celebrate import Kind
from render.display import shift_offset
from render.samples import SAMPLE_NOW, wall
from tests.render_support import HandClock, headless_display

SANNE = PersonView(id=1, name="Sanne de Vries", photo=None)


def attempt(person_id=1) -> WallEvent:
    return WallEvent(
        seq=5,
        at=SAMPLE_NOW,
        type=EventType.ATTEMPT_CONFIRMED,
        person_id=person_id,
        coach_id=2,
        details={"person_name": "Sanne de Vries", "coach_name": "Mo"},
    )


def moved(level_change: int, to: str = "B1") -> WallEvent:
    return WallEvent(
        seq=6,
        at=SAMPLE_NOW,
        type=EventType.CARD_MOVED,
        person_id=1,
        slot_id=to,
        details={"person_name": "Sanne de Vries", "level_change": level_change},
    )


def goal() -> WallEvent:
    return WallEvent(seq=7, at=SAMPLE_NOW, type=EventType.GOAL_REACHED, details={"count": 100})


def test_a_frame_is_presented_only_when_the_board_changed():
    display = headless_display()
    first = wall(people={"A1": SANNE}, version=1)
    display.on_snapshot(first)
    assert display.step()
    assert not display.step()
    display.on_snapshot(replace(first, version=2))  # a new snapshot that looks the same
    assert not display.step()
    display.on_snapshot(wall(people={"A2": SANNE}, version=3))  # Sanne moved from A1 to A2
    assert display.step()
    assert display.frames_presented == 2


def test_a_card_move_repaints_just_the_two_slots_involved():
    display = headless_display()
    mo = PersonView(id=2, name="Mo", photo=None)
    display.on_snapshot(wall(people={"A1": SANNE, "B3": mo}, count=3))
    display.step()
    layout = display.painter.layout
    after = wall(people={"A4": SANNE, "B3": mo}, count=3, version=2)
    assert display.painter.paint(after, SAMPLE_NOW) == [layout.card("A1").cell, layout.card("A4").cell]


def test_the_service_thread_only_hands_over_and_the_loop_wakes_for_it():
    display = headless_display(idle_tick_seconds=10)
    arrived = threading.Event()

    def service():
        display.on_snapshot(wall(people={"A1": SANNE}))
        arrived.set()
        time.sleep(0.3)
        display.stop()

    threading.Thread(target=service).start()
    assert display.frames_presented == 0
    started = time.monotonic()
    display.run()
    assert arrived.is_set()
    assert display.frames_presented == 1  # drawn on the wake-up, long before the 10 s tick
    assert time.monotonic() - started < 5


def test_a_confirmed_attempt_plays_a_short_celebration_around_the_card_then_the_wall_returns():
    clock = HandClock()
    display = headless_display(clock)
    display.on_snapshot(wall(people={"B2": SANNE}))
    display.on_event(attempt())
    assert display.step()
    celebration = display.celebration
    assert celebration.cheer.kind is Kind.ATTEMPT and celebration.cheer.slot_id == "B2"
    assert celebration.cheer.title == "Sanne probeerde het!"
    assert celebration.duration <= 3
    assert display.next_wait() == pytest.approx(1 / 30)
    clock.tick = 1.0
    assert display.step()  # animating: every frame is drawn
    clock.tick = 3.0
    assert display.step()  # the clean wall once more
    assert display.celebration is None
    assert not display.step()
    assert display.next_wait() == display.config.idle_tick_seconds


def test_moving_up_is_celebrated_and_moving_down_is_not():
    display = headless_display()
    display.on_snapshot(wall(people={"B1": SANNE}))
    display.on_event(moved(level_change=-1))
    display.step()
    assert display.celebration is None
    display.on_event(moved(level_change=1))
    display.step()
    assert display.celebration.cheer.kind is Kind.MOVE_UP
    assert display.celebration.cheer.subtitle == "naar Oefent"


def test_the_goal_gets_the_big_celebration_before_waiting_short_ones():
    clock = HandClock()
    display = headless_display(clock)
    display.on_snapshot(wall(people={"B2": SANNE}, count=100))
    display.on_event(attempt())
    display.on_event(attempt())
    display.on_event(goal())
    display.step()
    assert display.celebration.cheer.kind is Kind.GOAL
    assert display.celebration.duration > 3
    clock.tick = 10
    display.step()
    assert display.celebration.cheer.kind is Kind.ATTEMPT


def test_reduced_motion_shows_a_still_banner_drawn_once():
    clock = HandClock()
    display = headless_display(clock, reduced_motion=True)
    display.on_snapshot(wall(people={"B2": SANNE}))
    display.on_event(attempt())
    assert display.step()
    assert display.celebration.still
    clock.tick = 1.0
    assert not display.step()  # nothing moves, so nothing is drawn
    assert display.next_wait() == pytest.approx(min(display.celebration.duration - 1.0, 1.0))
    clock.tick = 3.0
    assert display.step()  # the banner goes away


def test_with_reduced_motion_each_waiting_banner_is_drawn_when_its_turn_comes(monkeypatch):
    # CPython may give the next celebration the address of the one just freed; make that certain here.
    monkeypatch.setattr(display_module, "id", lambda obj: 1, raising=False)
    clock = HandClock()
    display = headless_display(clock, reduced_motion=True)
    daan = PersonView(id=2, name="Daan Jansen", photo=None)
    display.on_snapshot(wall(people={"B2": SANNE, "A1": daan}))
    display.on_event(attempt())
    display.on_event(
        WallEvent(
            seq=6,
            at=SAMPLE_NOW,
            type=EventType.ATTEMPT_CONFIRMED,
            person_id=2,
            coach_id=3,
            details={"person_name": "Daan Jansen", "coach_name": "Ilse"},
        )
    )
    assert display.step()
    clock.tick = display.celebration.duration
    assert display.step()  # Sanne's banner gives way to Daan's
    assert display.celebration.cheer.title == "Daan probeerde het!"


def test_nothing_is_celebrated_at_night():
    display = headless_display(HandClock(SAMPLE_NOW.replace(hour=23)), night=({"start": "20:00", "end": "07:00"},))
    display.on_snapshot(wall(people={"B2": SANNE}))
    display.on_event(goal())
    display.step()
    assert display.celebration is None


def test_the_burn_in_guard_moves_the_picture_a_few_pixels_every_few_minutes():
    offsets = {shift_offset(SAMPLE_NOW + timedelta(minutes=10 * step), 10, 6) for step in range(9)}
    assert len(offsets) == 9 and all(abs(dx) <= 6 and abs(dy) <= 6 for dx, dy in offsets)
    clock = HandClock(SAMPLE_NOW.replace(minute=0))
    display = headless_display(clock, burn_in_shift_pixels=6, burn_in_shift_minutes=10)
    display.on_snapshot(wall(people={"B2": SANNE}))
    display.step()
    before = display.screen.copy()
    clock.now += timedelta(minutes=10)
    assert display.step()  # the only change is the shift, and it is drawn
    dx, dy = (
        a - b for a, b in zip(shift_offset(clock.now, 10, 6), shift_offset(clock.now - timedelta(minutes=10), 10, 6))
    )
    assert (dx, dy) != (0, 0)
    probe = display.painter.layout.card("B2").photo.center
    assert display.screen.get_at((probe[0] + dx, probe[1] + dy)) == before.get_at(probe)


def test_a_portrait_screen_gets_an_upright_tall_picture(tmp_path):
    display = headless_display(size=(1920, 1080), portrait=True)
    display.on_snapshot(wall(people={"B2": SANNE}))
    display.step()
    assert display.view_size == (1080, 1920)
    assert display.screen.get_size() == (1920, 1080)
    display.save_png(tmp_path / "portrait.png")
    assert pygame.image.load(str(tmp_path / "portrait.png")).get_size() == (1080, 1920)


def test_a_frame_that_fails_to_draw_is_logged_replaced_by_a_plain_frame_and_the_loop_goes_on(monkeypatch, caplog):
    from render.scene import WallPainter

    real_paint = WallPainter.paint

    def paint_failing_on_boom(painter, snapshot, now, **options):
        if snapshot.message == "boom":
            raise RuntimeError("a frame that cannot be drawn")
        return real_paint(painter, snapshot, now, **options)

    monkeypatch.setattr(WallPainter, "paint", paint_failing_on_boom)
    display = headless_display(idle_tick_seconds=0.05)
    drawn = threading.Event()

    def service():
        display.on_snapshot(replace(wall(people={"A1": SANNE}), message="boom"))
        time.sleep(0.2)
        display.on_snapshot(wall(people={"A2": SANNE}, version=2))
        for _ in range(200):
            if display.frames_presented >= 1:
                drawn.set()
                break
            time.sleep(0.05)
        display.stop()

    threading.Thread(target=service).start()
    display.run()
    assert drawn.is_set(), "the loop stopped drawing after one frame failed"
    assert "drawing a frame failed" in caplog.text
    assert display.snapshot.slot("A2").person == SANNE
