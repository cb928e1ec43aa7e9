"""The wall you can touch: the mouse moves tags on the simulated readers, the real service decides."""

import pygame
import pytest

from board.core.events import EventType
from board.dev.demo_window import DemoBadge, DemoCard, DemoWindow
from render.config import DisplayConfig
from render.samples import wall as snapshot_of_wall
from sensors.sim import SimulatedReader
from tests.harness import DAAN, MO_BADGE, SANNE
from tests.render_support import HandClock

SLOTS = ("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4")


def window(readers, clock=None) -> DemoWindow:
    clock = clock or HandClock()
    demo = DemoWindow(
        DisplayConfig(size=(1280, 720), fullscreen=False, night=()),
        readers,
        cards=[DemoCard(SANNE, "Sanne"), DemoCard(DAAN, "Daan")],
        badges=[DemoBadge(MO_BADGE, "Mo")],
        clock=clock.wall,
        ticks=clock.ticks,
    )
    demo.open()
    demo.on_snapshot(snapshot_of_wall(levels=(4, 4, 4)))  # until a service says otherwise
    demo.step()
    return demo


def press(demo, pos):
    demo.handle_input(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


def release(demo, pos):
    demo.handle_input(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))


def key(demo, name):
    demo.handle_input(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), mod=0, unicode=name))


@pytest.fixture
def readers():
    readers = {slot: SimulatedReader(slot) for slot in (*SLOTS, "pad")}
    readers["A1"].set_tags([SANNE])
    return readers


def shown_wall(demo, service):
    demo.on_snapshot(service.snapshot())
    demo.step()
    return demo.painter.layout


def test_dragging_a_polaroid_lifts_it_from_one_reader_and_places_it_on_another(wall):
    demo = window(wall.readers)
    wall.show("A1", SANNE)
    layout = shown_wall(demo, wall.service)
    press(demo, layout.card("A1").frame.center)
    assert SANNE not in wall.readers["A1"].tags  # lifted
    release(demo, layout.card("B2").frame.center)
    assert wall.readers["B2"].tags == {SANNE}
    recorded = wall.wait(1)
    move = next(event for event in recorded if event.type is EventType.CARD_MOVED)
    assert move.slot_id == "B2" and move.details["level_change"] == 1


def test_a_badge_dropped_on_a_polaroid_is_held_there_for_a_moment_and_confirms_an_attempt(wall):
    clock = HandClock()
    demo = window(wall.readers, clock)
    wall.show("A1", SANNE)
    layout = shown_wall(demo, wall.service)
    badge_at = demo._badge_rects()[0][1].center
    press(demo, badge_at)
    release(demo, layout.card("A1").frame.center)
    assert wall.readers["A1"].tags == {SANNE, MO_BADGE}
    recorded = wall.wait(0.5)
    assert any(event.type is EventType.ATTEMPT_CONFIRMED for event in recorded)
    clock.tick = 1.0
    demo.step()
    assert wall.readers["A1"].tags == {SANNE}


def test_a_badge_dropped_on_the_coach_pad_taps_the_pad_reader(readers):
    clock = HandClock()
    demo = window(readers, clock)
    press(demo, demo._badge_rects()[0][1].center)
    release(demo, demo.pad_rect.center)
    assert readers["pad"].tags == {MO_BADGE}
    clock.tick = 1.0
    demo.step()
    assert readers["pad"].tags == frozenset()


def test_the_ring_around_a_held_tag_pulses_until_the_tag_is_taken_away(readers):
    clock = HandClock()
    demo = window(readers, clock)
    press(demo, demo._badge_rects()[0][1].center)
    release(demo, demo.pad_rect.center)
    assert demo.step()
    clock.tick = 0.5
    assert demo.step()  # the pulse moved on, so a frame is drawn
    clock.tick = 1.0
    assert demo.step()  # the tap ends: the ring goes
    assert not demo.step()


def test_a_card_dropped_off_the_wall_goes_to_your_hand_and_can_be_hung_again(readers):
    demo = window(readers)
    layout = demo.painter.layout
    press(demo, layout.card("A1").frame.center)
    release(demo, demo.table.center)
    assert [card.name for card in demo.hand] == ["Daan", "Sanne"] and readers["A1"].tags == frozenset()
    sanne_in_hand = next(rect for card, rect in demo._hand_rects() if card.name == "Sanne")
    press(demo, sanne_in_hand.center)
    release(demo, layout.card("C3").frame.center)
    assert readers["C3"].tags == {SANNE} and [card.name for card in demo.hand] == ["Daan"]


def test_the_blank_card_hangs_an_unknown_tag_and_a_new_blank_appears(readers):
    demo = window(readers)
    blank, rect = demo._hand_rects()[-1]
    assert blank.name is None
    press(demo, rect.center)
    release(demo, demo.painter.layout.card("B4").frame.center)
    assert readers["B4"].tags == {blank.uid}
    assert demo._hand_rects()[-1][0].uid != blank.uid


def test_keys_break_the_reader_under_the_mouse_toggle_help_and_preview_the_night(readers):
    demo = window(readers)
    assert demo.help_visible
    key(demo, "h")
    assert not demo.help_visible
    demo.mouse = demo.painter.layout.card("B3").frame.center
    key(demo, "o")
    with pytest.raises(IOError):
        readers["B3"].poll()
    key(demo, "o")
    assert readers["B3"].poll() == frozenset()
    key(demo, "n")
    assert demo.night_mode(demo._clock()) == "dim"
