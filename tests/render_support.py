"""Helpers for the screen tests: a headless display with a clock the test controls."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

from datetime import datetime  # noqa: E402

import pygame  # noqa: E402

from render.config import DisplayConfig  # noqa: E402
from render.display import WallDisplay  # noqa: E402
from render.samples import SAMPLE_NOW  # noqa: E402


class HandClock:
    """Wall-clock time and animation time, both moved by hand."""

    def __init__(self, now: datetime = SAMPLE_NOW):
        self.now = now
        self.tick = 0.0

    def wall(self) -> datetime:
        return self.now

    def ticks(self) -> float:
        return self.tick


def headless_display(clock: HandClock | None = None, display_class=WallDisplay, **settings) -> WallDisplay:
    settings = {"night": (), "fullscreen": False, "burn_in_shift_pixels": 0, **settings}
    clock = clock or HandClock()
    return display_class(DisplayConfig(**settings), clock=clock.wall, ticks=clock.ticks).open()


def solid_photo(path, color, size=(300, 400)) -> str:
    """A photo of one colour, not square, so the crop is exercised too."""
    image = pygame.Surface(size)
    image.fill(color)
    pygame.image.save(image, str(path))
    return str(path)


def pixels_of(surface: pygame.Surface, color, tolerance: int = 8) -> list[pygame.Rect]:
    """Bounding boxes of the areas where `surface` shows `color`."""
    mask = pygame.mask.from_threshold(surface, color, (tolerance, tolerance, tolerance, 255))
    return mask.get_bounding_rects()


def count_of(surface: pygame.Surface, color, area: pygame.Rect | None = None, tolerance: int = 8) -> int:
    region = surface.subsurface(area) if area else surface
    return pygame.mask.from_threshold(region, color, (tolerance, tolerance, tolerance, 255)).count()
