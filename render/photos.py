"""Portraits for the polaroids: photos cropped to a square, or initials tiles.

Scaling a camera photo takes milliseconds; blitting a cached one takes
microseconds. Each photo is loaded, cropped and scaled once per (path, file
version, size), converted to the screen's pixel format for fast blits.
"""

import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import pygame

from render.theme import Fonts, mix, tile_color

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
PHOTOS_KEPT = 160  # scaled photos and tiles: every card of a 48-slot wall, the harvest's and the journey's sizes


class Lru(Generic[K, V]):
    """A dict that keeps at most `limit` entries, forgetting the one used longest ago: a wall's
    caches must not grow with every person, photo and size it has ever shown."""

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        value = self.get(key)
        return value if value is not None else self.put(key, make())

    def clear(self) -> None:
        self._entries.clear()


def photo_version(path: str | None) -> int | None:
    """The file's modification time (ns): a replaced photo is a new photo; None when unreadable."""
    if not path:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def initials(name: str) -> str:
    """ "Sanne de Vries" -> "SV"; "Mo" -> "MO" (two letters read better than one);
    a script without capitals (Arabic, Chinese) gives the first character: "王小明" -> "王"."""
    words = [word for word in name.split() if word[:1].isalpha()]
    if not words:
        return "?"
    if words[0][0].upper() == words[0][0].lower():
        return words[0][0]
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def crop_square(image: pygame.Surface) -> pygame.Surface:
    """The centred square of `image`, a little above centre for portraits (faces sit high)."""
    width, height = image.get_size()
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 3
    return image.subsurface((left, top, side, side))


class PhotoCache:
    def __init__(self, fonts: Fonts):
        self._fonts = fonts
        self._photos: Lru[tuple[str, int], tuple[int, pygame.Surface]] = Lru(PHOTOS_KEPT)
        self._tiles: Lru[tuple[str, int], pygame.Surface] = Lru(PHOTOS_KEPT)
        self._unreadable: set[tuple[str, int]] = set()

    def portrait(self, name: str, photo: str | None, side: int) -> pygame.Surface:
        """The person's photo at `side`×`side`, or their initials tile."""
        if photo:
            surface = self._photo(photo, side)
            if surface is not None:
                return surface
        return self._tile(name, side)

    def _photo(self, path: str, side: int) -> pygame.Surface | None:
        version = photo_version(path)
        if version is None:
            self._warn_once(path, version=0, reason="missing")
            return None
        cached = self._photos.get((path, side))
        if cached and cached[0] == version:
            return cached[1]
        try:
            image = pygame.image.load(path)
        except (pygame.error, OSError) as error:
            self._warn_once(path, version, reason=str(error))
            return None
        scaled = pygame.transform.smoothscale(crop_square(image).convert(), (side, side)).convert()
        self._photos.put((path, side), (version, scaled))
        return scaled

    def _warn_once(self, path: str, version: int, reason: str) -> None:
        if (path, version) not in self._unreadable:
            if len(self._unreadable) >= PHOTOS_KEPT:
                self._unreadable.clear()  # warned about long ago: a warning again is harmless
            self._unreadable.add((path, version))
            log.warning("photo %s cannot be shown (%s); drawing initials instead", path, reason)

    def _tile(self, name: str, side: int) -> pygame.Surface:
        """An initials tile meant to be looked at: the person's colour with a soft shade in one corner,
        a thin inner frame, and their initials as if written with a fat marker."""
        tile = self._tiles.get((name, side))
        if tile is None:
            color = tile_color(name)
            tile = pygame.Surface((side, side)).convert()
            tile.fill(color)
            pygame.draw.circle(tile, mix(color, (0, 0, 0), 0.1), (side, side), side * 7 // 10)
            inset = side // 20
            pygame.draw.rect(
                tile,
                mix(color, (255, 255, 255), 0.35),
                (inset, inset, side - 2 * inset, side - 2 * inset),
                max(1, side // 50),
                border_radius=side // 12,
            )
            letters = initials(name)
            font = self._fonts.bold(round(side * (0.42 if len(letters) < 3 else 0.3)))
            shadow = font.render(letters, True, mix(color, (0, 0, 0), 0.45))
            text = font.render(letters, True, (255, 255, 255))
            center = (side // 2, side // 2 + side // 40)
            tile.blit(shadow, shadow.get_rect(center=(center[0] + max(1, side // 50), center[1] + max(1, side // 40))))
            tile.blit(text, text.get_rect(center=center))
            self._tiles.put((name, side), tile)
        return tile
