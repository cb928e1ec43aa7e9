"""The harvest on the screen: after a period closes, on request, and drawn instead of the wall."""

from datetime import datetime

import pygame

from board.core.events import EventType
from board.wall.service import WallService
from render.config import DisplayConfig
from render.screenshot import render_png
from store.repository import Store
from tests.harness import AMSTERDAM, MO_BADGE, SANNE, Wall

SCREEN = DisplayConfig(size=(1280, 720), night=(), burn_in_shift_pixels=0)


def a_week_with_an_attempt(wall) -> None:
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    wall.show("A1")
    wall.show("B1", SANNE)


def test_a_new_period_shows_the_last_ones_harvest_for_the_configured_hours(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 11, 29, 16, 0, tzinfo=AMSTERDAM))
    wall.add_people()
    a_week_with_an_attempt(wall)
    assert wall.service.snapshot().harvest is None
    wall.wait(8 * 3600)  # Monday 00:00 comes: the week closes
    harvest = wall.service.snapshot().harvest
    assert harvest is not None and harvest.count == 1
    assert [award.kind for award in harvest.awards][:2] == ["team", "climber"]
    wall.wait(3 * 3600 + 59 * 60)  # still there at 03:59 (show_hours = 4 by default)
    assert wall.service.snapshot().harvest is harvest
    wall.wait(120)
    assert wall.service.snapshot().harvest is None
    wall.close()


def test_show_hours_zero_never_shows_it_by_itself(tmp_path):
    config = tmp_path / "wallboard.toml"
    from tests.harness import SMALL_WALL

    config.write_text(SMALL_WALL + "\n[harvest]\nshow_hours = 0\n", encoding="utf-8")
    wall = Wall(tmp_path, start=datetime(2026, 11, 29, 16, 0, tzinfo=AMSTERDAM))
    wall.add_people()
    a_week_with_an_attempt(wall)
    wall.wait(8 * 3600)
    assert wall.service.snapshot().harvest is None
    wall.close()


def test_a_harvest_asked_for_in_another_process_shows_on_the_running_wall(wall):
    a_week_with_an_attempt(wall)
    wall.service.close_period()
    wall.wait(5 * 3600)
    assert wall.service.snapshot().harvest is None
    with Store(wall.config) as store:  # the CLI: its own store and service next to the running wall
        cli = WallService(wall.config, store, {}, wall.clock)
        shown = cli.show_harvest("last", 600)
    assert shown.type is EventType.HARVEST_SHOWN and shown.details["seconds"] == 600
    wall.service._catch_up_external_writes()  # what the service loop does every second
    assert wall.service.snapshot().harvest.count == 1
    wall.wait(601)
    assert wall.service.snapshot().harvest is None


def test_the_screen_draws_the_harvest_instead_of_the_wall(wall, tmp_path):
    a_week_with_an_attempt(wall)
    wall.service.close_period()
    with_harvest = render_png(wall.service.snapshot(), SCREEN, tmp_path / "harvest.png")
    wall.wait(5 * 3600)
    without = render_png(wall.service.snapshot(), SCREEN, tmp_path / "wall.png")
    harvest_picture, wall_picture = pygame.image.load(with_harvest), pygame.image.load(without)
    header = harvest_picture.get_at((400, 20))[:3]
    assert header == (250, 245, 232)  # the paper header of the harvest
    assert wall_picture.get_at((400, 20))[:3] != header
    assert pygame.image.tobytes(harvest_picture, "RGB") != pygame.image.tobytes(wall_picture, "RGB")


def test_the_harvest_fits_a_portrait_screen_and_one_without_awards(wall, tmp_path):
    wall.service.close_period()  # nothing happened: only the team's line
    snapshot = wall.service.snapshot()
    assert [award.kind for award in snapshot.harvest.awards] == ["team"]
    picture = pygame.image.load(render_png(snapshot, SCREEN.model_copy(update={"portrait": True}), tmp_path / "p.png"))
    assert picture.get_size() == (720, 1280)


def test_tapping_your_own_card_on_the_pad_shows_your_journey_for_a_few_seconds(wall, tmp_path):
    from tests.harness import DAAN

    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    wall.show("A1")
    wall.show("B2", SANNE)
    wall.show("A2", DAAN)
    recorded = wall.tap("pad", SANNE)
    assert [(e.type, e.person_id, e.details) for e in recorded] == [(EventType.JOURNEY_SHOWN, None, {})]
    journey = wall.service.snapshot().journey
    assert (journey.name, journey.attempts_now, journey.attempts_before) == ("Sanne", 1, 0)
    assert [level for _at, level in journey.steps] == [0, 1] and journey.next_level == "Top"
    shown = pygame.image.load(render_png(wall.service.snapshot(), SCREEN, tmp_path / "journey.png"))
    assert shown.get_at((230, 125))[:3] == (250, 245, 232)  # the paper card over the wall
    wall.wait(9)
    assert wall.service.snapshot().journey is None
    gone = pygame.image.load(render_png(wall.service.snapshot(), SCREEN, tmp_path / "wall.png"))
    assert gone.get_at((230, 125))[:3] != (250, 245, 232)


def test_a_harvest_asked_for_in_the_hour_the_clocks_go_back_shows_its_full_time(tmp_path):
    # 02:45 summer time; a quarter of an hour later it is 02:00 winter time.
    wall = Wall(tmp_path, start=datetime(2027, 10, 31, 2, 45, tzinfo=AMSTERDAM))
    wall.service.close_period()
    wall.service.show_harvest("last", 900)
    assert wall.service.snapshot().harvest is not None
    wall.wait(899)
    assert wall.service.snapshot().harvest is not None
    wall.wait(2)
    assert wall.service.snapshot().harvest is None
    wall.close()
