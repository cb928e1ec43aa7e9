"""Someone's own journey, over the wall for a few seconds after they tap their card on the pad.

What is in it for me: their photo, the levels they reached and when, their
attempts this period and the one before, and the name of the next level.
"""

import pygame
from pygame import Rect

from board.core.harvest import Journey
from board.core.i18n import Texts
from render.photos import PhotoCache
from render.text import ellipsize
from render.theme import CORK_DARK, INK, INK_SOFT, MERCURY, PAPER, POLAROID, Fonts, band_color, mix

MAX_STEPS = 6  # the latest level changes; older ones are history enough


def draw_journey(
    surface: pygame.Surface, journey: Journey, fonts: Fonts, photos: PhotoCache, px, offset: tuple[int, int] = (0, 0)
) -> None:
    texts = Texts(journey.language)
    width, height = surface.get_size()
    card = Rect(0, 0, min(width - px(80), px(1300)), min(height - px(80), px(760)))
    card.center = (width // 2 + offset[0], height // 2 + offset[1])
    pygame.draw.rect(surface, mix(INK, (0, 0, 0), 0.5), card.move(px(8), px(12)), border_radius=px(24))
    pygame.draw.rect(surface, PAPER, card, border_radius=px(24))
    pygame.draw.rect(surface, CORK_DARK, card, px(4), border_radius=px(24))
    side = min(card.height - px(220), card.width // 3)
    frame = Rect(card.x + px(50), card.y + px(60), side + px(30), side + px(110))
    pygame.draw.rect(surface, POLAROID, frame)
    pygame.draw.rect(surface, mix(POLAROID, INK, 0.25), frame, px(2))
    surface.blit(photos.portrait(journey.name, journey.photo, side), (frame.x + px(15), frame.y + px(15)))
    name_font = fonts.hand(px(52))
    name = name_font.render(ellipsize(journey.name, name_font, frame.width - px(20)), True, INK)
    surface.blit(name, name.get_rect(midbottom=(frame.centerx, frame.bottom - px(12))))

    x = frame.right + px(60)
    right = card.right - px(50)
    y = card.y + px(40)

    def line(font, words: str, color) -> None:
        nonlocal y
        surface.blit(font.render(ellipsize(words, font, right - x), True, color), (x, y))
        y += font.get_linesize()

    line(fonts.hand(px(72)), texts("journey.title"), INK)
    y += px(10)
    count = len(journey.level_names)
    step_font = fonts.bold(px(34))
    if not journey.steps:
        line(fonts.ui(px(34)), texts("journey.not_on_wall"), INK_SOFT)
    for at, level in journey.steps[-MAX_STEPS:]:
        chip = Rect(x, y + px(8), px(26), px(26))
        pygame.draw.rect(surface, band_color(level, count), chip, border_radius=px(6))
        pygame.draw.rect(surface, mix(INK, PAPER, 0.5), chip, px(2), border_radius=px(6))
        words = f"{texts.short_date(at.date())}  ·  {journey.level_names[level]}"
        surface.blit(step_font.render(ellipsize(words, step_font, right - x - px(44)), True, INK), (x + px(44), y))
        y += step_font.get_linesize()
    y += px(24)
    line(fonts.bold(px(38)), texts("journey.now", attempts=texts.count("attempts", journey.attempts_now)), MERCURY)
    line(fonts.ui(px(32)), texts("journey.before", attempts=texts.count("attempts", journey.attempts_before)), INK_SOFT)
    y += px(20)
    upcoming = journey.next_level
    line(fonts.hand(px(48)), texts("journey.next", level=upcoming) if upcoming else texts("journey.top"), INK)
