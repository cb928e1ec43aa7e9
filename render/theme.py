"""Colours and fonts of the wall: warm cork, craft paper, white polaroids.

Fonts are opened once per size and kept: opening one costs tens of
milliseconds, a Pi redraw budget.
"""

import logging
import zlib
from pathlib import Path

import pygame

from render.text import FALLBACK_BOLD, FALLBACK_REGULAR, Face

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).with_name("fonts")
HANDWRITING = FONT_DIR / "KaushanScript-Regular.otf"  # names, titles: a marker on a polaroid
UI_REGULAR = FONT_DIR / "ComicNeue-Regular.otf"
UI_BOLD = FONT_DIR / "ComicNeue-Bold.otf"

Color = tuple[int, int, int]

CORK: Color = (186, 146, 102)
CORK_DARK: Color = (160, 120, 80)
CORK_LIGHT: Color = (206, 170, 126)
POLAROID: Color = (252, 250, 244)
PAPER: Color = (250, 245, 232)
INK: Color = (58, 44, 36)
INK_SOFT: Color = (128, 104, 88)
MERCURY: Color = (214, 58, 44)
MERCURY_LIGHT: Color = (246, 128, 104)
GLASS: Color = (255, 255, 255)
HIGHLIGHT: Color = (255, 205, 70)
PIN: Color = (200, 52, 52)
PIN_NEW: Color = (244, 178, 28)
STICKY: Color = (255, 236, 130)
UNKNOWN_PHOTO: Color = (88, 104, 140)
OFFLINE_STRIPE: Color = (64, 60, 58)
OFFLINE_WARN: Color = (242, 170, 40)
CONFETTI: tuple[Color, ...] = (
    (231, 76, 60),
    (241, 196, 15),
    (46, 204, 113),
    (52, 152, 219),
    (155, 89, 182),
    (230, 126, 34),
)

# Craft-paper strips, bottom level to top: from calm sand to a sunny gold.
_BAND_BOTTOM: Color = (236, 226, 204)
_BAND_TOP: Color = (250, 196, 92)

_TILE_COLORS: tuple[Color, ...] = (
    (214, 96, 77),
    (232, 146, 72),
    (42, 140, 128),
    (52, 86, 110),
    (196, 150, 40),
    (124, 92, 180),
    (200, 84, 140),
    (70, 130, 190),
    (110, 150, 70),
)


def mix(a: Color, b: Color, share_of_b: float) -> Color:
    """Blend two colours without per-pixel alpha (cheap on a Pi)."""
    return tuple(round(x + (y - x) * share_of_b) for x, y in zip(a, b))  # type: ignore[return-value]


def band_color(index: int, count: int) -> Color:
    return mix(_BAND_BOTTOM, _BAND_TOP, index / max(1, count - 1))


def tile_color(name: str) -> Color:
    """A stable colour per person for their initials tile."""
    return _TILE_COLORS[zlib.crc32(name.encode()) % len(_TILE_COLORS)]


class Fonts:
    """The three typefaces, each size opened once, each with its fallbacks (render/text.py).

    Falls back to pygame's built-in font when a shipped file is missing, so a
    broken install still shows a legible wall.
    """

    def __init__(self):
        self._fonts: dict[tuple[Path | None, int], pygame.font.Font] = {}
        self._faces: dict[tuple[Path, int], Face] = {}

    def _open(self, path: Path | None, size: int) -> pygame.font.Font:
        key = (path, size)
        font = self._fonts.get(key)
        if font is None:
            try:
                font = pygame.font.Font(path, size)
            except (OSError, pygame.error):
                log.warning("font %s could not be opened; using pygame's default font", path)
                font = pygame.font.Font(None, size)
            self._fonts[key] = font
        return font

    def _face(self, path: Path, size: int) -> Face:
        key = (path, max(8, size))
        face = self._faces.get(key)
        if face is None:
            fallbacks = FALLBACK_BOLD + FALLBACK_REGULAR if path == UI_BOLD else FALLBACK_REGULAR
            face = self._faces[key] = Face(path, key[1], fallbacks, self._open)
        return face

    def hand(self, size: int) -> Face:
        return self._face(HANDWRITING, size)

    def ui(self, size: int) -> Face:
        return self._face(UI_REGULAR, size)

    def bold(self, size: int) -> Face:
        return self._face(UI_BOLD, size)
