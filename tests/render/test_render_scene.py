"""Fixed scenes drawn headless and checked pixel by pixel."""

from datetime import timedelta

import pygame
import pytest

from board.core.snapshot import PersonView
from render.samples import SAMPLE_NOW, wall
from render.theme import HIGHLIGHT, MERCURY, OFFLINE_STRIPE, OFFLINE_WARN, UNKNOWN_PHOTO, tile_color
from tests.render_support import HandClock, count_of, headless_display, pixels_of, solid_photo

GREEN = (20, 200, 60)


NIGHT = HandClock(SAMPLE_NOW.replace(hour=23))


def shown(snapshot, clock=None, **settings):
    display = headless_display(clock, **settings)
    display.on_snapshot(snapshot)
    assert display.step()
    return display


def test_the_photo_of_the_person_in_B2_is_drawn_inside_B2s_frame(tmp_path):
    photo = solid_photo(tmp_path / "sanne.png", GREEN)
    display = shown(wall(people={"B2": PersonView(id=7, name="Sanne de Vries", photo=photo)}))
    b2 = display.painter.layout.card("B2")
    areas = pixels_of(display.screen, GREEN)
    assert len(areas) == 1
    assert b2.frame.contains(areas[0])
    assert areas[0].width >= b2.photo.width * 0.95  # the whole square photo, cropped from 300×400
    assert count_of(display.screen, GREEN, b2.photo) > b2.photo.width * b2.photo.height * 0.9


def test_a_person_without_a_photo_gets_a_tile_in_their_own_colour():
    display = shown(wall(people={"A1": PersonView(id=3, name="Ruben Huisman", photo=None)}))
    photo = display.painter.layout.card("A1").photo
    corner = pygame.Rect(photo.x + photo.width // 10, photo.y + photo.height // 10, photo.width // 5, photo.height // 5)
    assert count_of(display.screen, tile_color("Ruben Huisman"), corner) > corner.width * corner.height * 0.9


def test_a_missing_photo_file_falls_back_to_the_initials_tile(tmp_path):
    display = shown(wall(people={"A1": PersonView(id=3, name="Ruben Huisman", photo=str(tmp_path / "gone.jpg"))}))
    assert count_of(display.screen, tile_color("Ruben Huisman"), display.painter.layout.card("A1").photo) > 0


def test_an_offline_slot_is_marked_and_is_not_drawn_as_empty():
    display = shown(wall(offline=("C3",)))
    layout = display.painter.layout
    offline, empty = layout.card("C3").frame, layout.card("C4").frame
    assert count_of(display.screen, OFFLINE_WARN, offline) > offline.width * offline.height * 0.3
    assert count_of(display.screen, OFFLINE_WARN, empty) == 0


def test_an_offline_slot_still_shows_who_hung_there_under_caution_tape():
    person = PersonView(id=3, name="Ruben Huisman", photo=None)
    display = shown(wall(people={"C3": person}, offline=("C3",)))
    photo = display.painter.layout.card("C3").photo
    top_of_photo = pygame.Rect(photo.x, photo.y, photo.width, photo.height // 4)
    assert count_of(display.screen, tile_color("Ruben Huisman"), top_of_photo) > 0
    tape = count_of(display.screen, OFFLINE_WARN, photo) + count_of(display.screen, OFFLINE_STRIPE, photo)
    assert tape > photo.width * photo.height * 0.1


def test_an_unknown_card_is_drawn_as_unknown():
    display = shown(wall(unknown={"D2": "04A21B7C"}))
    photo = display.painter.layout.card("D2").photo
    assert count_of(display.screen, UNKNOWN_PHOTO, photo) > photo.width * photo.height * 0.5


@pytest.mark.parametrize("count", [0, 37, 100])
def test_the_thermometer_column_stands_at_the_share_of_the_goal(count):
    display = shown(wall(count=count, goal=100))
    tube = display.painter.layout.panel.thermometer.tube
    red_rows = [y for y in range(tube.y, tube.bottom) if display.screen.get_at((tube.centerx, y))[:3] == MERCURY]
    height = tube.bottom - min(red_rows) if red_rows else 0
    assert height == pytest.approx(tube.height * count / 100, abs=2)


def test_a_card_moved_in_the_last_24_hours_glows_and_an_older_move_does_not():
    def warmth_beside_b2(moved_hours_ago: float) -> int:
        person = PersonView(id=1, name="Sanne", photo=None)
        display = shown(wall(people={"B2": person}, moved_at={"B2": SAMPLE_NOW - timedelta(hours=moved_hours_ago)}))
        frame = display.painter.layout.card("B2").frame
        beside = pygame.Rect(frame.x - 14, frame.y + 20, 8, frame.height - 40)  # just left of the card
        color = pygame.transform.average_color(display.screen, beside)
        return -sum(abs(a - b) for a, b in zip(color, HIGHLIGHT))

    assert warmth_beside_b2(3) > warmth_beside_b2(25) + 40


def test_a_black_night_shows_a_black_frame():
    display = shown(wall(count=50), NIGHT, night=({"start": "20:00", "end": "07:00", "mode": "black"},))
    assert pygame.transform.average_color(display.screen)[:3] == (0, 0, 0)


def test_a_dim_night_keeps_the_wall_but_darkens_it():
    day = pygame.transform.average_color(shown(wall(count=50)).screen)
    dim = pygame.transform.average_color(
        shown(
            wall(count=50), NIGHT, night=({"start": "20:00", "end": "07:00", "mode": "dim"},), dim_brightness=0.3
        ).screen
    )
    assert 0 < sum(dim[:3]) < sum(day[:3]) * 0.35


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_every_slot_of_a_full_wall_is_drawn(size):
    people = {
        f"{level}{slot}": PersonView(id=i, name=f"P{i}", photo=None)
        for i, (level, slot) in enumerate((lv, s) for lv in "ABCDE" for s in range(1, 7))
    }
    display = shown(wall(people=people), size=size)
    for slot_id, person in people.items():
        photo = display.painter.layout.card(slot_id).photo
        assert count_of(display.screen, tile_color(person.name), photo) > photo.width * photo.height * 0.3, slot_id


@pytest.mark.parametrize("name", ["\u00ad", "\u200b", "Sanne \U0001f600"])
def test_a_name_without_visible_letters_or_with_an_emoji_the_font_lacks_still_draws(name):
    display = headless_display()
    display.on_snapshot(wall(people={"A1": PersonView(id=1, name=name, photo=None)}))
    assert display.step()


def test_text_that_draws_nothing_is_an_empty_line_not_an_error():
    pygame.font.init()
    from render.theme import Fonts

    for text in ("\u00ad", "\u200b", "\u200b\u00ad"):
        assert Fonts().hand(40).render(text).get_width() == 0


def test_a_failed_write_shows_a_red_badge_on_the_panel():
    from dataclasses import replace

    display = headless_display()
    display.on_snapshot(wall())
    display.step()
    before = count_of(display.screen, MERCURY)
    display.on_snapshot(replace(wall(), version=2, storage_failed=True))
    assert display.step()
    assert count_of(display.screen, MERCURY) > before + 1000
