"""An attempt that did not count gets a short, kind word on the screen: never a celebration."""

import pygame

from board.core.events import EventType
from board.core.i18n import Texts
from render.celebrate import Celebration, Kind, cheer_for
from render.config import DisplayConfig
from render.screenshot import render_png
from tests.harness import ILSE, ILSE_BADGE, MO_BADGE, SANNE, STRANGER

SCREEN = DisplayConfig(size=(1280, 720), night=(), burn_in_shift_pixels=0)


def refusal_of(wall, recorded):
    (refused,) = [e for e in recorded if e.type is EventType.ATTEMPT_REJECTED]
    return cheer_for(refused, wall.service.snapshot(), Texts("nl")), refused


def test_a_duplicate_a_self_confirmation_and_an_unknown_badge_each_get_a_kind_word(wall):
    wall.show("A1", SANNE)
    wall.show("A2", ILSE)
    wall.tap("A1", MO_BADGE)
    duplicate, _ = refusal_of(wall, wall.tap("A1", MO_BADGE))
    own, _ = refusal_of(wall, wall.tap("A2", ILSE_BADGE))
    stranger, _ = refusal_of(wall, wall.tap("A1", STRANGER))
    assert (duplicate.kind, duplicate.title, duplicate.subtitle) == (
        Kind.REFUSED,
        "Die telde al!",
        "Sanne is net al meegeteld. Mooi zo",
    )
    assert (own.title, own.subtitle) == (
        "Even iemand anders vragen",
        "Ilse, je eigen poging bevestigt een andere coach",
    )
    assert stranger.title == "Deze badge kent de muur nog niet"
    assert duplicate.slot_id == "A1" and own.slot_id == "A2"


def test_a_refusal_has_no_confetti_and_shows_a_calm_banner(wall, tmp_path):
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    cheer, refused = refusal_of(wall, wall.tap("A1", MO_BADGE))
    assert Celebration(cheer, started=0, still=False, style=1).particles == []
    snapshot = wall.service.snapshot()
    plain = pygame.image.load(render_png(snapshot, SCREEN, tmp_path / "plain.png", events=()))
    told = pygame.image.load(
        render_png(snapshot, SCREEN, tmp_path / "told.png", events=(refused,), seconds_into_celebration=1.0)
    )
    assert pygame.image.tobytes(plain, "RGB") != pygame.image.tobytes(told, "RGB")


def test_refusals_nobody_caused_get_no_word(wall):
    recorded = wall.tap("C3", STRANGER)  # a badge nobody enrolled, on an empty slot: a stray tag, no attempt
    assert [e.type for e in recorded] == [EventType.UNKNOWN_TAG, EventType.CARD_REMOVED]
    assert all(cheer_for(e, wall.service.snapshot(), Texts("nl")) is None for e in recorded)
    wall.show("A1", SANNE)
    wall.tap("pad", MO_BADGE)
    (opened,) = wall.wait(21)  # the window times out
    assert opened.type is EventType.PAD_CLOSED
    assert cheer_for(opened, wall.service.snapshot(), Texts("nl")) is None
