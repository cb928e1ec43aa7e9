"""Where things go: every card inside its band, nothing overlapping, any screen shape."""

import itertools

import pytest
from pygame import Rect

from render.layout import compute_layout, tilt
from render.samples import slot_id

WALL_5x6 = [(chr(65 + level), [slot_id(level, slot) for slot in range(6)]) for level in range(5)]
WALL_6x8 = [(chr(65 + level), [slot_id(level, slot) for slot in range(8)]) for level in range(6)]
UNEVEN = [("A", ["A1", "A2", "A3", "A4", "A5"]), ("B", ["B1", "B2", "B3"]), ("C", ["C1"])]


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920), (800, 480)])
@pytest.mark.parametrize("levels", [WALL_5x6, WALL_6x8, UNEVEN])
def test_cards_sit_inside_their_band_and_never_overlap(size, levels):
    layout = compute_layout(size, levels)
    screen = Rect((0, 0), size)
    assert screen.contains(layout.wall) and screen.contains(layout.panel.sheet)
    assert not layout.wall.colliderect(layout.panel.sheet)
    for band in layout.bands:
        assert layout.wall.contains(band.strip)
        for card in band.cards:
            assert band.strip.contains(card.cell)
            assert card.cell.contains(card.frame.inflate(card.frame.width * 0.1, card.frame.height * 0.05))
            assert card.frame.contains(card.photo) and card.frame.contains(card.caption)
            assert card.photo.width == card.photo.height
    cells = [card.cell for band in layout.bands for card in band.cards]
    for a, b in itertools.combinations(cells, 2):
        assert not a.colliderect(b)


def test_levels_run_from_the_bottom_up():
    layout = compute_layout((1920, 1080), WALL_5x6)
    tops = [band.strip.y for band in layout.bands]
    assert tops == sorted(tops, reverse=True)
    assert layout.card("A1").frame.y > layout.card("B1").frame.y


def test_landscape_puts_the_panel_beside_the_wall_and_portrait_under_it():
    wide = compute_layout((1920, 1080), WALL_5x6)
    tall = compute_layout((1080, 1920), WALL_5x6)
    assert wide.panel.sheet.x > wide.wall.right
    assert tall.panel.sheet.y > tall.wall.bottom


def test_the_mouse_finds_the_card_under_it():
    layout = compute_layout((1920, 1080), WALL_5x6)
    assert layout.card_at(layout.card("C4").frame.center).slot_id == "C4"
    assert layout.card_at(layout.panel.sheet.center) is None


def test_each_slot_keeps_its_own_small_tilt():
    tilts = {tilt(f"{level}{slot}") for level in "ABCDE" for slot in range(1, 7)}
    assert len(tilts) > 20 and all(abs(angle) <= 2.5 for angle in tilts)


def test_a_wall_of_few_long_levels_stacks_each_level_in_rows_for_bigger_photos():
    three_by_ten = [(level, [f"{level}{slot}" for slot in range(1, 11)]) for level in "ABC"]
    layout = compute_layout((1920, 1080), three_by_ten)
    one_row = compute_layout((1920, 1080), WALL_6x8)
    assert len({card.cell.y for card in layout.bands[0].cards}) == 2
    assert layout.card("A1").photo.width > one_row.card("A1").photo.width
    assert layout.card("A1").cell.y < layout.card("A6").cell.y  # the second row is under the first
