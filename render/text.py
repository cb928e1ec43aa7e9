"""Text that fits its box and never shows a tofu box.

The wall's typefaces (a marker hand, Comic Neue) cover Latin only. Names in a
contact centre also come in Arabic, Chinese or with an emoji, so every face
falls back, character by character, to the first installed Noto font that has
the glyph (Debian fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji).
A character no font has is left out rather than drawn as a box.

`fit` shrinks a text to a minimum size, then tries shorter variants (a name
before the verb), and only then cuts with an ellipsis.
"""

import logging
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pygame
import pygame.freetype
from pygame import Rect

log = logging.getLogger(__name__)

_NOTO = Path("/usr/share/fonts/truetype/noto")
_NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
# Tried in this order for a character the main face lacks; missing files are skipped.
FALLBACK_REGULAR = (
    _NOTO / "NotoSans-Regular.ttf",
    _NOTO / "NotoSansArabic-Regular.ttf",
    _NOTO / "NotoSansHebrew-Regular.ttf",
    _NOTO / "NotoSansDevanagari-Regular.ttf",
    _NOTO / "NotoSansThai-Regular.ttf",
    _NOTO_CJK / "NotoSansCJK-Regular.ttc",
    _NOTO / "NotoColorEmoji.ttf",
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
FALLBACK_BOLD = tuple(Path(str(path).replace("-Regular.", "-Bold.")) for path in FALLBACK_REGULAR)
ELLIPSIS = "…"


@cache
def _glyph_checker(path: Path) -> pygame.freetype.Font | None:
    """A FreeType handle used only to ask which characters a font file has."""
    if not pygame.freetype.get_init():
        pygame.freetype.init()
    try:
        return pygame.freetype.Font(str(path), 16)
    except (OSError, pygame.error):
        return None


@lru_cache(maxsize=65536)
def has_glyph(path: Path, char: str) -> bool:
    checker = _glyph_checker(path)
    if checker is None:
        return False
    try:
        return checker.get_metrics(char)[0] is not None
    except pygame.error:  # a bitmap font (colour emoji) has one fixed size: ask at that one
        return checker.get_metrics(char, size=checker.get_sizes()[0][0])[0] is not None


def _attaches(char: str) -> bool:
    """Joiners, variation selectors and combining marks go with the character before them."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf") or "\ufe00" <= char <= "\ufe0f"


class Face:
    """A pygame Font with per-character fallback; the subset of Font's interface the wall uses."""

    def __init__(
        self,
        path: Path | None,
        size: int,
        fallbacks: Sequence[Path],
        opener: Callable[[Path | None, int], pygame.font.Font],
    ):
        self.path, self.points = path, size
        self.font = opener(path, size)
        self._fallbacks = fallbacks
        self._opener = opener
        self._run_cache: dict[str, list[tuple[Path | None, str]]] = {}
        self._size_cache: dict[str, tuple[int, int]] = {}

    def get_linesize(self) -> int:
        return self.font.get_linesize()

    def get_height(self) -> int:
        return self.font.get_height()

    def get_descent(self) -> int:
        return self.font.get_descent()

    def _runs(self, text: str) -> list[tuple[Path | None, str]]:
        """`text` cut into runs that one font draws; None is the face's own font. Remembered:
        fitting asks about the same names on every redraw."""
        runs = self._run_cache.get(text)
        if runs is None:
            runs = self._cut(text)
            if len(self._run_cache) < 4096:
                self._run_cache[text] = runs
        return runs

    def _cut(self, text: str) -> list[tuple[Path | None, str]]:
        runs: list[tuple[Path | None, str]] = []
        for char in text:
            if runs and (_attaches(char) or (char == " " and runs[-1][0] is not None)):
                runs[-1] = (runs[-1][0], runs[-1][1] + char)
                continue
            source = self._source_of(char)
            if source is False:
                continue  # no installed font has it: leave it out rather than draw a box
            if runs and runs[-1][0] == source:
                runs[-1] = (source, runs[-1][1] + char)
            else:
                runs.append((source, char))
        return runs

    def _source_of(self, char: str) -> Path | None | bool:
        if self.path is None or char.isspace() or has_glyph(self.path, char):
            return None
        return next((path for path in self._fallbacks if has_glyph(path, char)), False)

    def _run_surface(self, source: Path | None, run: str, color) -> pygame.Surface:
        if source is None:
            return self.font.render(run, True, color)
        if _is_arabic(run):  # SDL_ttf shapes each word right to left but sets the words left to right
            core = run.strip(" ")
            run = (
                run[: len(run) - len(run.lstrip(" "))]
                + " ".join(reversed(core.split(" ")))
                + run[len(run.rstrip(" ")) :]
            )
        image = self._opener(source, self.points).render(run, True, color)
        height = self.font.get_height()
        if image.get_height() > height * 1.3:  # a bitmap emoji font draws at one fixed size
            image = pygame.transform.smoothscale(
                image, (max(1, image.get_width() * height // image.get_height()), height)
            )
        return image

    def render(self, text: str, antialias: bool = True, color=(0, 0, 0)) -> pygame.Surface:
        runs = self._runs(text)
        if len(runs) <= 1 and (not runs or runs[0][0] is None):
            return self.font.render("".join(run for _, run in runs), antialias, color)
        images = [self._run_surface(source, run, color) for source, run in runs]
        height = self.font.get_height()
        surface = pygame.Surface((sum(image.get_width() for image in images), height), pygame.SRCALPHA)
        x = 0
        for image in images:
            surface.blit(image, (x, (height - image.get_height()) // 2))
            x += image.get_width()
        return surface

    def size(self, text: str) -> tuple[int, int]:
        """Width and height of `text` drawn in this face. Remembered: SDL_ttf shapes the text
        to measure it (a tenth of a millisecond), and fitting measures the same names again."""
        measured = self._size_cache.get(text)
        if measured is None:
            runs = self._runs(text)
            if len(runs) <= 1 and (not runs or runs[0][0] is None):
                measured = self.font.size("".join(run for _, run in runs))
            else:
                measured = (self.render(text).get_width(), self.font.get_height())
            if len(self._size_cache) < 4096:
                self._size_cache[text] = measured
        return measured


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff" for char in text)


# ---------------------------------------------------------------- fitting


def fit(
    candidates: Sequence[str], face_of: Callable[[int], Face], width: int, size: int, min_size: int
) -> tuple[Face, str]:
    """The first candidate that fits `width` at a size from `size` down to `min_size`.

    Candidates go from the whole text to its shortest meaningful form; when even
    the last does not fit at `min_size`, it is cut with an ellipsis.
    """
    min_size = min(min_size, size)
    for text in candidates:
        current = size
        while True:
            face = face_of(current)
            if face.size(text)[0] <= width:
                return face, text
            if current <= min_size:
                break
            current = max(min_size, current - max(1, current // 12))
    face = face_of(min_size)
    return face, ellipsize(candidates[-1], face, width)


def ellipsize(text: str, face: Face, width: int) -> str:
    """`text` cut at the end with "…" so it fits `width` (a single "…" at worst)."""
    if face.size(text)[0] <= width:
        return text
    while text and face.size(text + ELLIPSIS)[0] > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap(text: str, face: Face, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and face.size(f"{lines[-1]} {word}")[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def fit_lines(
    text: str, face_of: Callable[[int], Face], width: int, size: int, min_size: int, max_lines: int
) -> tuple[Face, list[str]]:
    """The largest size (down to `min_size`) at which `text` wraps into `max_lines` lines of `width`;
    at the minimum, the lines that do not fit are cut with an ellipsis."""
    min_size = min(min_size, size)
    current = size
    while True:
        face = face_of(current)
        lines = wrap(text, face, width)
        if len(lines) <= max_lines and all(face.size(line)[0] <= width for line in lines):
            return face, lines
        if current <= min_size:
            kept = lines[:max_lines]
            if len(lines) > max_lines:
                kept[-1] = f"{kept[-1]} {' '.join(lines[max_lines:])}"
            return face, [ellipsize(line, face, width) for line in kept]
        current = max(min_size, current - max(1, current // 12))


def name_variants(name: str) -> list[str]:
    """ "Sanne de Vries", then "Sanne V.", then "Sanne": the longest that fits is written."""
    words = name.split()
    if len(words) < 2:
        return [name]
    return [name, f"{words[0]} {words[-1][0]}.", words[0]]


@dataclass(frozen=True)
class TextBox:
    """Where a text was allowed to go and where it went: the geometry test compares them."""

    text: str
    area: Rect
    drawn: Rect
