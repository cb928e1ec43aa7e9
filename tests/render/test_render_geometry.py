"""Every text stays inside its box and no banner hides the data, on every wall the screenshots show.

Geometry, not pixels: the painter records where each text was allowed to go and
where it went; a celebration says where its banner rests.
"""

import itertools
from dataclasses import replace

import pygame
import pytest

from board.core.snapshot import AttemptView, PadWindowView, PersonView
from render.celebrate import GOAL_FULL_SCREEN, Celebration, Cheer, Kind
from render.layout import MIN_NAME, compute_layout, name_size
from render.progress import milestones, pace
from render.samples import PEOPLE, SAMPLE_NOW, sample_people, slot_id, wall
from render.scene import WallPainter, thermometer_fill
from render.theme import Fonts
from tests.render_support import HandClock, headless_display  # noqa: F401 (sets the dummy video driver)

LONG_NAMES = {
    "A1": "Anne-Marie van den Berg-Oosterhout",
    "A2": "محمد العمري",
    "A3": "王小明",
    "A4": "Sanne 🌻",
    "B1": "Mohammed El Amrani",
}
WALLS = {
    "5x6": (6,) * 5,
    "5x12": (12,) * 5,
    "4x20": (20,) * 4,
    "uneven": (20, 6, 3),
    "3x2": (2, 2, 2),
}
SCREENS = [(1920, 1080), (1080, 1920), (1280, 720)]


def crowded(levels, **settings):
    people = sample_people(levels, skip=())
    people.update({sid: PersonView(900 + n, name, None) for n, (sid, name) in enumerate(LONG_NAMES.items())})
    recent = tuple(
        AttemptView(i, name, "Kees van der Heijden-Bakker", SAMPLE_NOW)
        for i, name in enumerate(list(LONG_NAMES.values()) + list(PEOPLE[:4]))
    )
    return wall(
        levels,
        people,
        count=1,
        goal=50,
        today=1,
        recent=recent,
        moved_up=tuple(LONG_NAMES.values()) * 3,
        pad_window=PadWindowView("Kees van der Heijden-Bakker", SAMPLE_NOW),
        **settings,
    )


@pytest.fixture(scope="module")
def fonts():
    headless_display().close()  # a display mode for convert(), as the screen has
    pygame.display.init()
    pygame.display.set_mode((8, 8))
    return Fonts()


@pytest.mark.parametrize("size", SCREENS)
@pytest.mark.parametrize("shape", WALLS)
def test_every_text_on_the_wall_stays_inside_its_box(fonts, size, shape):
    painter = WallPainter(size, fonts=fonts, sun=True)
    painter.paint(crowded(WALLS[shape]), SAMPLE_NOW, sun=0.5)
    boxes = [box for part in painter.text_boxes.values() for box in part]
    assert len(boxes) > len(painter.layout.cards)
    for box in boxes:
        assert box.area.contains(box.drawn), f"{box.text!r} runs out of its box: {box.drawn} not in {box.area}"


@pytest.mark.parametrize("shape", WALLS)
def test_names_on_the_cards_are_at_least_28_px_at_full_hd_and_the_count_at_least_150(fonts, shape):
    layout = compute_layout(
        (1920, 1080), [(chr(65 + i), [slot_id(i, j) for j in range(n)]) for i, n in enumerate(WALLS[shape])]
    )
    assert min(name_size(card) for card in layout.cards) >= MIN_NAME
    painter = WallPainter((1920, 1080), fonts=fonts)
    painter.paint(crowded(WALLS[shape]), SAMPLE_NOW)
    count = next(box for box in painter.text_boxes["panel"] if box.text == "1")
    assert fonts.bold(150).get_height() <= count.drawn.height + 2
    shown = {box.text for box in painter.text_boxes["panel"]}
    assert {"nog 49 te gaan", "nog 5 dagen", "nog 10 per dag"} <= shown  # the pace has room under the count
    assert any(text.endswith("probeerde het") for text in shown)  # the list stays in view with the pad open


def test_an_empty_wall_asks_people_to_hang_their_polaroid(fonts):
    painter = WallPainter((1920, 1080), fonts=fonts)
    painter.paint(wall(), SAMPLE_NOW)
    texts = [box.text for box in painter.text_boxes["empty_wall"]]
    assert texts[0] == "Hang je polaroid op" and len(texts) > 1
    painter.paint(wall(people={"A1": PersonView(1, "Sanne", None)}, version=2), SAMPLE_NOW)
    assert "empty_wall" not in painter.text_boxes


CHEERS = [
    Cheer(Kind.ATTEMPT, "Anne-Marie van den Berg-Oosterhout probeerde het!", "bevestigd door Kees van der Heijden"),
    Cheer(Kind.MOVE_UP, "Mohammed gaat omhoog!", "naar Coacht anderen"),
]


@pytest.mark.parametrize("size", SCREENS)
@pytest.mark.parametrize("shape", WALLS)
def test_a_banner_never_covers_the_thermometer_the_list_or_the_celebrated_card(fonts, size, shape):
    levels = [(chr(65 + i), [slot_id(i, j) for j in range(n)]) for i, n in enumerate(WALLS[shape])]
    layout = compute_layout(size, levels)
    panel = layout.panel
    for cheer, card in itertools.product(CHEERS, layout.cards):
        celebration = Celebration(replace(cheer, slot_id=card.slot_id), started=0, still=False, style=1)
        box, lines = celebration.banner(layout, fonts, 1.0)
        for kept_clear in (panel.sheet, panel.thermometer.area, panel.feed, card.frame):
            assert not box.colliderect(kept_clear), f"banner {box} covers {kept_clear} ({card.slot_id})"
        assert all(box.contains(line.drawn) for _, line in lines)


def test_the_goal_takes_the_whole_screen_briefly_then_gives_the_wall_back(fonts):
    layout = compute_layout((1920, 1080), [("A", ["A1", "A2"])])
    goal = Celebration(
        Cheer(Kind.GOAL, "Doel gehaald!", "100 pogingen deze week. Top gedaan, allemaal!"),
        started=0,
        still=False,
        style=1,
    )
    assert goal.takes_screen(1.0) and not goal.takes_screen(GOAL_FULL_SCREEN + 0.1)
    box, _ = goal.banner(layout, fonts, GOAL_FULL_SCREEN + 1)
    assert layout.wall.contains(box) and not box.colliderect(layout.panel.sheet)


def test_milestones_are_round_fractions_of_the_goal():
    assert milestones(100) == (25, 50, 75, 100)
    assert milestones(50) == (10, 20, 30, 40, 50)
    assert milestones(30) == (10, 20, 30)  # thirds
    assert milestones(13) == (5, 10, 13)  # no even fraction: round steps, then the goal
    assert milestones(12) == (3, 6, 9, 12)
    assert milestones(1) == (1,)


def test_one_attempt_shows_a_column_and_none_shows_none():
    layout = compute_layout((1920, 1080), [("A", ["A1"])])
    period = wall(count=1, goal=50).period
    assert thermometer_fill(layout.panel.thermometer, period, layout.px) >= layout.px(18)
    assert thermometer_fill(layout.panel.thermometer, replace(period, count=0), layout.px) == 0


def test_the_pace_says_how_many_a_day_are_needed_for_the_days_left():
    period = wall(count=10, goal=50).period  # Wednesday 14:30 of a Monday-to-Monday week
    ahead = pace(period, SAMPLE_NOW)
    assert (ahead.missing, ahead.days_left, ahead.per_day, ahead.on_schedule) == (40, 5, 8, False)
    assert pace(replace(period, count=30), SAMPLE_NOW).on_schedule
