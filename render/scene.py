"""Paints a Snapshot as parts, rebuilding only the parts that changed.

The static picture (cork, level strips, level names, the panel's paper) is
drawn once into the backdrop. Each card cell, the panel, the sun and an empty
wall's note is a sprite that remembers the values it was drawn from; `paint`
rebuilds a sprite only when those differ, and `draw` puts any area of the
picture on the screen from the backdrop and the sprites. Needs a display mode
to be set (convert() needs the screen's pixel format).
"""

import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache

import pygame
from pygame import Rect

from board.core.i18n import Texts
from board.core.snapshot import LevelView, PeriodView, PersonView, SlotStatus, SlotView, Snapshot
from render.layout import (
    MIN_NAME,
    BandPlace,
    CardPlace,
    Layout,
    PanelPlace,
    ThermometerPlace,
    compute_layout,
    mercury_radius,
    name_size,
)
from render.photos import Lru, PhotoCache, photo_version
from render.progress import milestones, pace
from render.text import TextBox, ellipsize, fit, fit_lines, name_variants, wrap
from render.theme import (
    CORK,
    CORK_DARK,
    CORK_LIGHT,
    GLASS,
    HIGHLIGHT,
    INK,
    INK_SOFT,
    MERCURY,
    MERCURY_LIGHT,
    OFFLINE_STRIPE,
    OFFLINE_WARN,
    PAPER,
    PIN,
    PIN_NEW,
    POLAROID,
    STICKY,
    UNKNOWN_PHOTO,
    Color,
    Fonts,
    band_color,
    mix,
)

GOOD_NEWS: Color = (46, 132, 78)
SUN: Color = (255, 196, 40)
SUN_RAYS: Color = (244, 150, 30)
MAX_RECENT = 8
FACES_KEPT = 128  # tilted polaroids: every card of a 48-slot wall twice over (moved, glowing or not)


class Backdrop:
    """The one full-screen layer kept besides the screen: the picture that does not change (the
    wall's cork, strips and panel paper, or the harvest). Whoever draws into it claims it first;
    the wall draws its background again (about 20 ms) when it comes back after the harvest."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.surface: pygame.Surface | None = None
        self.owner: object = None
        self.drawings = 0  # how often a picture was drawn into it: each one a full redraw

    def claim(self, owner: object) -> bool:
        """Take the layer for `owner`; True when `owner` must draw it (another picture is in it)."""
        if self.surface is None:
            self.surface = pygame.Surface(self.size).convert()
        if self.owner == owner:
            return False
        self.owner = owner
        self.drawings += 1
        return True


@dataclass
class _Part:
    """A piece of the picture kept ready to copy: the values it was drawn from, where it goes, its pixels."""

    key: object
    rect: Rect
    sprite: pygame.Surface


class WallPainter:
    """The wall as parts kept ready to copy: the backdrop (cork, level strips, the panel's paper),
    one sprite per card cell, the panel's sheet, the sun's rail and an empty wall's note.

    `paint` rebuilds only the parts whose values changed and returns where; `draw` copies any
    area of the picture onto a target from the parts, so a frame redraws only what changed and
    the screen is the only other full-screen surface. Tilted faces are kept per person, photo
    and angle (a card that stops glowing, a language switch), shadows per card size.
    """

    def __init__(
        self,
        size: tuple[int, int],
        fonts: Fonts | None = None,
        photos: PhotoCache | None = None,
        highlight: timedelta = timedelta(hours=24),
        sun: bool = False,
        backdrop: Backdrop | None = None,
    ):
        self.size = size
        self.sun = sun
        self.fonts = fonts or Fonts()
        self.photos = photos or PhotoCache(self.fonts)
        self.highlight = highlight
        self.backdrop = backdrop or Backdrop(size)
        self.layout: Layout = compute_layout(size, (), sun=sun)
        self._shape: tuple | None = None
        # Every text drawn, per part ("panel", "levels", "empty_wall", or a slot id): the geometry test reads these.
        self.text_boxes: dict[str, list[TextBox]] = {}
        self._cards: dict[str, _Part] = {}
        self._note: _Part | None = None
        self._sun: _Part | None = None
        self._panel: _Part | None = None
        self._faces: Lru[tuple, tuple[pygame.Surface, list[TextBox]]] = Lru(FACES_KEPT)

    @property
    def faces_kept(self) -> int:
        return len(self._faces)

    def paint(self, snapshot: Snapshot, now: datetime, sun: float | None = None) -> list[Rect]:
        """Bring the parts up to `snapshot` at `now` (with the sun at height `sun`, 0..1);
        return the rectangles of the picture that changed."""
        dirty: list[Rect] = []
        shape = tuple((level.id, level.name, tuple(slot.id for slot in level.slots)) for level in snapshot.levels)
        if shape != self._shape:
            self._shape = shape
            self.layout = compute_layout(
                self.size, [(level_id, slot_ids) for level_id, _, slot_ids in shape], sun=self.sun
            )
            self.text_boxes = {}
            self._cards.clear()
            self._note = self._sun = self._panel = None
            self.backdrop.owner = None  # its level names are this painter's to record
        if self.backdrop.claim(("wall", self.sun, shape)):
            self.text_boxes["levels"] = []
            _draw_background(self.backdrop.surface, self.layout, snapshot.levels, self.fonts, self.text_boxes["levels"])
            dirty.append(Rect((0, 0), self.size))
        texts = Texts(snapshot.language)
        rebuilt: list[Rect] = []
        for index, (band, level) in enumerate(zip(self.layout.bands, snapshot.levels)):
            strip = band_color(index, len(snapshot.levels))
            for place, slot in zip(band.cards, level.slots):
                fresh = self.is_fresh(slot, now)
                key = (slot, fresh, texts.language)
                part = self._cards.get(slot.id)
                if part is None or part.key != key:
                    self._cards[slot.id] = self._card(key, place, slot, fresh, strip, texts)
                    rebuilt.append(place.cell)
        dirty += rebuilt
        dirty += self._empty_wall(snapshot, texts, rebuilt)
        if self.layout.sun_rail is not None and sun is not None:
            dirty += self._sun_rail(sun)
        panel_key = (
            snapshot.period,
            snapshot.recent_attempts[:MAX_RECENT],
            snapshot.moved_up,
            snapshot.pad_window,
            snapshot.message,
            snapshot.storage_failed,
            texts.language,
            now.date(),
        )
        if self._panel is None or self._panel.key != panel_key:
            sheet = self.layout.panel.sheet
            sprite = self._copy_of(sheet)
            local = replace(self.layout, panel=_moved_panel(self.layout.panel, -sheet.x, -sheet.y))
            boxes: list[TextBox] = []
            _Panel(sprite, local, self.fonts, texts, boxes).draw(snapshot, now)
            self.text_boxes["panel"] = _shifted(boxes, sheet.topleft)
            self._panel = _Part(panel_key, sheet, sprite)
            dirty.append(sheet)
        return dirty

    def draw(self, target: pygame.Surface, area: Rect, offset: tuple[int, int] = (0, 0)) -> None:
        """Copy `area` of the picture onto `target`, moved by `offset`: the backdrop, then every part
        over it, bottom to top (cards, the note over them, the sun, the panel)."""
        target.blit(self.backdrop.surface, area.move(offset), area)
        for part in self.parts():
            hit = part.rect.clip(area)
            if hit:
                target.blit(part.sprite, hit.move(offset), hit.move(-part.rect.x, -part.rect.y))

    def parts(self) -> list[_Part]:
        """The parts, bottom to top."""
        return [*self._cards.values(), *(part for part in (self._note, self._sun, self._panel) if part is not None)]

    def text_areas(self) -> list[Rect]:
        """Where text stands in the picture now: a celebration keeps its confetti behind these."""
        return [box.drawn for boxes in self.text_boxes.values() for box in boxes]

    def _copy_of(self, area: Rect) -> pygame.Surface:
        """A new sprite for `area`, starting as the backdrop there."""
        sprite = pygame.Surface(area.size).convert()
        sprite.blit(self.backdrop.surface, (0, 0), area)
        return sprite

    def _card(self, key: tuple, place: CardPlace, slot: SlotView, fresh: bool, strip: Color, texts: Texts) -> _Part:
        """The sprite of one card's cell: the backdrop there with the card pinned on it."""
        cell, px = place.cell, self.layout.px
        sprite = self._copy_of(cell)
        local = _moved_card(place, -cell.x, -cell.y)
        boxes: list[TextBox] = []
        if slot.status is SlotStatus.EMPTY:
            _empty_frame(sprite, local, strip, texts("empty"), self.fonts, px, boxes)
        elif slot.status is SlotStatus.OFFLINE and slot.person is None:
            _offline_frame(sprite, local, texts("offline"), self.fonts, px)
        else:
            face, face_boxes = self._tilted_face(place, slot, texts)
            boxes += _shifted(face_boxes, local.frame.topleft)
            glow = fresh and slot.status is SlotStatus.OCCUPIED
            pin = PIN_NEW if glow else PIN
            pin_up(sprite, place, face, pin, px, glow=glow, origin=cell.topleft)
        self.text_boxes[slot.id] = _shifted(boxes, cell.topleft)
        return _Part(key, cell, sprite)

    def _tilted_face(self, place: CardPlace, slot: SlotView, texts: Texts) -> tuple[pygame.Surface, list[TextBox]]:
        """The polaroid of whoever hangs in `slot`, tilted as the slot tilts, and its caption's box
        relative to the frame; kept per person, photo version, card geometry and angle."""
        person = slot.person or PersonView(id=0, name="?", photo=None)
        local = _moved_card(place, -place.frame.x, -place.frame.y)
        shape = (tuple(local.frame), tuple(local.photo), tuple(local.caption), place.angle)
        if slot.status is SlotStatus.UNKNOWN:
            key: tuple = ("unknown", slot.unknown_uid, texts.language, shape)
        else:
            offline = texts.language if slot.status is SlotStatus.OFFLINE else None
            key = ("person", person.name, person.photo, photo_version(person.photo), offline, shape)
        return self._faces.get_or_make(key, lambda: self._make_face(place, slot, person, texts))

    def _make_face(
        self, place: CardPlace, slot: SlotView, person: PersonView, texts: Texts
    ) -> tuple[pygame.Surface, list[TextBox]]:
        local = _moved_card(place, -place.frame.x, -place.frame.y)
        px, boxes = self.layout.px, []
        if slot.status is SlotStatus.UNKNOWN:
            picture = unknown_picture(local, slot.unknown_uid, self.fonts)
            face = polaroid_face(local, picture, [texts("unknown")], self.fonts.ui, px(MIN_NAME) * 3 // 4, boxes)
        else:
            portrait = self.photos.portrait(person.name, person.photo, place.photo.width)
            face = polaroid_face(local, portrait, name_variants(person.name), self.fonts.hand, px(MIN_NAME), boxes)
        if slot.status is SlotStatus.OFFLINE:
            # Still who we last saw here, crossed by caution tape: offline is not empty.
            photo = local.photo
            tape = pygame.Rect(photo.x, photo.centery - photo.height // 5, photo.width, photo.height * 2 // 5)
            _caution_tape(face, tape, texts("offline"), self.fonts, px)
        return tilted(face, place.angle), boxes

    def _empty_wall(self, snapshot: Snapshot, texts: Texts, rebuilt: list[Rect]) -> list[Rect]:
        """A wall with nobody on it asks people to hang their polaroid, and says how: a note over the cards."""
        empty = bool(snapshot.levels) and all(
            slot.status is SlotStatus.EMPTY for level in snapshot.levels for slot in level.slots
        )
        area = self.layout.call_to_action.inflate(self.layout.px(40), self.layout.px(80))
        if not empty:
            self.text_boxes.pop("empty_wall", None)
            if self._note is None:
                return []
            self._note = None
            return [area]
        if self._note is not None and self._note.key == texts.language and area.collidelist(rebuilt) < 0:
            return []
        sprite = self._copy_of(area)
        for card in self._cards.values():  # the note's shadow falls on the empty frames under it
            hit = card.rect.clip(area)
            if hit:
                sprite.blit(card.sprite, hit.move(-area.x, -area.y), hit.move(-card.rect.x, -card.rect.y))
        boxes: list[TextBox] = []
        note = self.layout.call_to_action
        _call_to_action(
            sprite,
            note.move(-area.x, -area.y),
            self.layout.wall.bottom - area.y,
            self.layout.px,
            texts,
            self.fonts,
            boxes,
        )
        self.text_boxes["empty_wall"] = _shifted(boxes, area.topleft)
        self._note = _Part(texts.language, area, sprite)
        return [area]

    def _sun_rail(self, height: float) -> list[Rect]:
        """The sun in its rail, risen to `height` (0 bottom, 1 top)."""
        rail = self.layout.sun_rail
        key = round(height * rail.height)
        if self._sun is not None and self._sun.key == key:
            return []
        sprite = self._copy_of(rail)
        draw_sun(sprite, rail, height, self.layout.px, origin=rail.topleft)
        self._sun = _Part(key, rail, sprite)
        return [rail]

    def is_fresh(self, slot: SlotView, now: datetime) -> bool:
        """Moved here recently enough to glow, so passers-by notice the move."""
        return (
            slot.status is SlotStatus.OCCUPIED
            and slot.moved_at is not None
            and timedelta(0) <= now - slot.moved_at < self.highlight
        )


def _shifted(boxes: list[TextBox], by: tuple[int, int]) -> list[TextBox]:
    return [TextBox(box.text, box.area.move(by), box.drawn.move(by)) for box in boxes]


def _moved_card(place: CardPlace, dx: int, dy: int) -> CardPlace:
    """`place` drawn on a sprite whose corner is (-dx, -dy) of the screen."""
    return replace(
        place,
        cell=place.cell.move(dx, dy),
        frame=place.frame.move(dx, dy),
        photo=place.photo.move(dx, dy),
        caption=place.caption.move(dx, dy),
    )


def _moved_panel(panel: PanelPlace, dx: int, dy: int) -> PanelPlace:
    thermometer = panel.thermometer
    return PanelPlace(
        sheet=panel.sheet.move(dx, dy),
        date=panel.date.move(dx, dy),
        thermometer=ThermometerPlace(
            area=thermometer.area.move(dx, dy),
            tube=thermometer.tube.move(dx, dy),
            glass=thermometer.glass.move(dx, dy),
            bulb_center=(thermometer.bulb_center[0] + dx, thermometer.bulb_center[1] + dy),
            bulb_radius=thermometer.bulb_radius,
        ),
        counts=panel.counts.move(dx, dy),
        feed=panel.feed.move(dx, dy),
        moved_up=panel.moved_up.move(dx, dy),
    )


# ---------------------------------------------------------------- background


def _draw_background(
    surface: pygame.Surface, layout: Layout, levels: tuple[LevelView, ...], fonts: Fonts, boxes: list[TextBox]
) -> None:
    surface.fill(CORK)
    _cork_grain(surface, layout.px)
    size = _level_name_size(layout, levels, fonts)
    for index, (band, level) in enumerate(zip(layout.bands, levels)):
        _level_strip(surface, band, level.name, index, len(levels), fonts, layout.px, size, boxes)
    sheet = layout.panel.sheet
    _soft_shadow(surface, sheet, layout.px(10), offset=(layout.px(4), layout.px(8)))
    pygame.draw.rect(surface, PAPER, sheet, border_radius=layout.px(10))
    for x in (sheet.x + layout.px(40), sheet.right - layout.px(40)):
        _pin(surface, (x, sheet.y + layout.px(14)), layout.px(10), PIN)


def _cork_grain(surface: pygame.Surface, px) -> None:
    """Speckles like a cork board: fixed seed, so every redraw looks the same."""
    for color, center, radius in _speckles(surface.get_size()):
        pygame.draw.circle(surface, color, center, px(radius))


@lru_cache(maxsize=2)
def _speckles(size: tuple[int, int]) -> tuple[tuple[Color, tuple[int, int], int], ...]:
    """Where the cork's speckles go: drawn anew with every background, but chosen once per screen size."""
    rng = random.Random(1972)
    width, height = size
    speckles = []
    for _ in range(width * height // 700):
        color = CORK_DARK if rng.random() < 0.6 else CORK_LIGHT
        radius = rng.choice((1, 1, 1, 2, 2, 3))
        speckles.append((color, (rng.randrange(width), rng.randrange(height)), radius))
    return tuple(speckles)


def _level_label_area(band: BandPlace, px) -> Rect:
    return band.label.inflate(-px(24), -px(16))


def _level_name_size(layout: Layout, levels: tuple[LevelView, ...], fonts: Fonts) -> int:
    """One size for every level's name, so no level looks less important: the largest at which
    every name fits its label in two lines at most, no word broken."""
    size = layout.px(40)
    for band, level in zip(layout.bands, levels):
        area = _level_label_area(band, layout.px)
        while size > layout.px(16):
            font = fonts.hand(size)
            lines = wrap(level.name, font, area.width)
            if (
                len(lines) <= 2
                and all(font.size(line)[0] <= area.width for line in lines)
                and len(lines) * font.get_linesize() + layout.px(34) <= area.height
            ):
                break
            size -= max(1, size // 12)
    return size


def _level_strip(
    surface, band: BandPlace, name: str, index: int, count: int, fonts: Fonts, px, size: int, boxes: list[TextBox]
) -> None:
    color = band_color(index, count)
    _soft_shadow(surface, band.strip, px(8), offset=(px(3), px(5)))
    pygame.draw.rect(surface, color, band.strip, border_radius=px(8))
    label = _level_label_area(band, px)
    number = fonts.bold(px(26)).render(str(index + 1), True, mix(color, INK, 0.55))
    font = fonts.hand(size)
    lines = [ellipsize(line, font, label.width) for line in wrap(name, font, label.width)[:2]]
    line_height = font.get_linesize()
    top = label.centery - (len(lines) * line_height) // 2 + px(10)
    surface.blit(number, number.get_rect(midbottom=(label.centerx, top)))
    for row, line in enumerate(lines):
        image = font.render(line, True, INK)
        drawn = image.get_rect(midtop=(label.centerx, top + row * line_height))
        surface.blit(image, drawn)
        boxes.append(TextBox(line, label, drawn))
    if index < count - 1:  # an arrow to the next level: moving up is the point
        tip = (band.label.centerx, band.strip.y + px(6))
        pygame.draw.polygon(
            surface,
            mix(color, INK, 0.35),
            [tip, (tip[0] - px(12), tip[1] + px(12)), (tip[0] + px(12), tip[1] + px(12))],
        )


def _soft_shadow(
    surface: pygame.Surface,
    rect: Rect,
    radius: int,
    offset: tuple[int, int],
    strength: int = 70,
    shadow_of=None,
) -> None:
    """A blurred shadow under `rect`; `shadow_of` makes it (`_card_shadow` keeps the ones cards share)."""
    spread = radius * 2
    shadow = (shadow_of or _blurred_shadow)(rect.size, radius, strength)
    surface.blit(shadow, (rect.x - spread + offset[0], rect.y - spread + offset[1]))


def _blurred_shadow(size: tuple[int, int], radius: int, strength: int) -> pygame.Surface:
    """Drawn small and scaled up, which blurs for free."""
    spread = radius * 2
    width, height = size
    shadow = pygame.Surface((width + 2 * spread, height + 2 * spread), pygame.SRCALPHA)
    pygame.draw.rect(shadow, (0, 0, 0, strength), (spread, spread, width, height), border_radius=radius)
    small = pygame.transform.smoothscale(shadow, (max(1, shadow.get_width() // 6), max(1, shadow.get_height() // 6)))
    return pygame.transform.smoothscale(small, shadow.get_size())


# Every card of a wall has one size: its shadow is blurred once. The strips' and the panel's
# are drawn once into the backdrop and not kept.
_card_shadow = lru_cache(maxsize=8)(_blurred_shadow)


# ---------------------------------------------------------------- cards


def polaroid_face(
    place: CardPlace,
    picture: pygame.Surface,
    captions: list[str],
    font_of,
    min_size: int,
    boxes: list[TextBox] | None = None,
) -> pygame.Surface:
    """A white polaroid: the picture, and the longest caption that fits written under (or beside) it."""
    face = pygame.Surface(place.frame.size).convert()
    face.fill(POLAROID)
    photo = place.photo.move(-place.frame.x, -place.frame.y)
    face.blit(picture, photo)
    pygame.draw.rect(face, mix(POLAROID, INK, 0.15), photo, 1)
    area = place.caption.move(-place.frame.x, -place.frame.y)
    font, caption = fit(captions, font_of, area.width - 2, name_size(place), min_size)
    text = font.render(caption, True, INK)
    drawn = text.get_rect(center=area.center)
    if place.caption.x > place.photo.right - 2:
        drawn.left = area.x  # beside the photo: written from the photo's edge, like a label
    face.blit(text, drawn)
    pygame.draw.rect(face, mix(POLAROID, INK, 0.12), face.get_rect(), 1)
    if boxes is not None:
        boxes.append(TextBox(caption, place.caption, drawn.move(place.frame.topleft)))
    return face


def unknown_picture(place: CardPlace, uid: str | None, fonts: Fonts) -> pygame.Surface:
    side = place.photo.width
    picture = pygame.Surface((side, side)).convert()
    picture.fill(UNKNOWN_PHOTO)
    mark = fonts.bold(round(side * 0.6)).render("?", True, (236, 240, 248))
    picture.blit(mark, mark.get_rect(center=(side // 2, side // 2 - side // 14)))
    if uid:
        tail = fonts.ui(max(10, side // 9)).render(f"…{uid[-6:]}", True, (200, 208, 224))
        picture.blit(tail, tail.get_rect(midbottom=(side // 2, side - side // 16)))
    return picture


def tilted(face: pygame.Surface, angle: float) -> pygame.Surface:
    """The polaroid `face` turned `angle` degrees counter-clockwise, smooth at its edges."""
    return pygame.transform.rotozoom(face.convert_alpha(), angle, 1)


def pin_up(
    canvas: pygame.Surface,
    place: CardPlace,
    face: pygame.Surface,
    pin_color: Color,
    px,
    glow: bool,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """Put the tilted `face` on `canvas` (whose corner is `origin` on the screen) at `place`, with a
    shadow (and a glow if it moved recently), and pin it."""
    frame = place.frame.move(-origin[0], -origin[1])
    if glow:
        _glow(canvas, frame, px)
    _soft_shadow(canvas, frame, px(6), offset=(px(4), px(7)), strength=90, shadow_of=_card_shadow)
    canvas.blit(face, face.get_rect(center=frame.center))
    radians = math.radians(place.angle)
    # Over the photo's middle, near the top: the middle of a polaroid, the left of a tag.
    offset_x = place.photo.centerx - place.frame.centerx
    offset_y = -place.frame.height / 2 + (place.photo.y - place.frame.y) * 1.4
    pin_at = (  # rounded where it hangs on the screen, so a sprite shows the pin exactly where the screen would
        round(place.frame.centerx + offset_x * math.cos(radians) + offset_y * math.sin(radians)) - origin[0],
        round(place.frame.centery - offset_x * math.sin(radians) + offset_y * math.cos(radians)) - origin[1],
    )
    _pin(canvas, pin_at, px(9), pin_color)


def _glow(canvas: pygame.Surface, frame: Rect, px) -> None:
    spread = px(16)
    canvas.blit(_halo(frame.size, spread), (frame.x - spread, frame.y - spread))


@lru_cache(maxsize=8)
def _halo(size: tuple[int, int], spread: int) -> pygame.Surface:
    """The glow around a card that moved recently; kept per card size."""
    halo = pygame.Surface((size[0] + 2 * spread, size[1] + 2 * spread), pygame.SRCALPHA)
    for step in range(6):
        inset = step * spread // 6
        pygame.draw.rect(
            halo, (*HIGHLIGHT, 40 + step * 25), halo.get_rect().inflate(-2 * inset, -2 * inset), border_radius=spread
        )
    return halo


def _pin(surface: pygame.Surface, center: tuple[int, int], radius: int, color: Color) -> None:
    pygame.draw.circle(surface, mix(color, (0, 0, 0), 0.55), (center[0] + radius // 3, center[1] + radius // 2), radius)
    pygame.draw.circle(surface, color, center, radius)
    pygame.draw.circle(
        surface,
        mix(color, (255, 255, 255), 0.6),
        (center[0] - radius // 3, center[1] - radius // 3),
        max(1, radius // 3),
    )


def _empty_frame(
    canvas: pygame.Surface, place: CardPlace, strip: Color, word: str, fonts: Fonts, px, boxes: list[TextBox]
) -> None:
    """An outlined frame where a card may go: clearly a place, clearly free."""
    frame = place.frame
    line = mix(strip, INK, 0.3)
    pygame.draw.rect(canvas, mix(strip, (255, 255, 255), 0.25), frame, border_radius=px(4))
    _dashed_rect(canvas, line, frame, px(3), px(12))
    pygame.draw.rect(canvas, mix(strip, INK, 0.08), place.photo)
    font, word = fit([word], fonts.hand, place.caption.width - 2, name_size(place), px(MIN_NAME) * 3 // 4)
    text = font.render(word, True, mix(strip, INK, 0.45))
    drawn = text.get_rect(center=place.caption.center)
    canvas.blit(text, drawn)
    boxes.append(TextBox(word, place.caption, drawn))


def _call_to_action(
    canvas: pygame.Surface, note: Rect, wall_bottom: int, px, texts: Texts, fonts: Fonts, boxes: list[TextBox]
) -> None:
    """A big paper note on an empty wall: what to do, and how."""
    _soft_shadow(canvas, note, px(10), offset=(px(5), px(9)), strength=90)
    pygame.draw.rect(canvas, STICKY, note, border_radius=px(8))
    _pin(canvas, (note.centerx, note.y + px(16)), px(12), PIN)
    inner = note.inflate(-px(60), -px(56))
    title_font, title = fit([texts("cta_title")], fonts.hand, inner.width, px(96), px(40))
    image = title_font.render(title, True, INK)
    drawn = image.get_rect(midtop=(inner.centerx, inner.y))
    canvas.blit(image, drawn)
    boxes.append(TextBox(title, inner, drawn))
    body = Rect(inner.x, drawn.bottom + px(10), inner.width, inner.bottom - drawn.bottom - px(10))
    lines_fit = max(1, body.height // max(1, fonts.ui(px(36)).get_linesize()))
    font, lines = fit_lines(texts("cta_how"), fonts.ui, body.width, px(36), px(24), max_lines=lines_fit)
    y = body.y
    for line in lines:
        image = font.render(line, True, INK)
        drawn = image.get_rect(midtop=(body.centerx, y))
        canvas.blit(image, drawn)
        boxes.append(TextBox(line, body, drawn))
        y += font.get_linesize()
    tip_y = min(note.bottom + px(34), wall_bottom)
    pygame.draw.polygon(
        canvas,
        mix(STICKY, INK, 0.5),
        [
            (note.centerx, tip_y),
            (note.centerx - px(22), note.bottom + px(8)),
            (note.centerx + px(22), note.bottom + px(8)),
        ],
    )


def draw_sun(surface: pygame.Surface, rail: Rect, height: float, px, origin: tuple[int, int] = (0, 0)) -> None:
    """A paper sun in its rail: at the bottom when nobody has tried yet, at the top when everyone has.
    `surface`'s corner is `origin` on the screen; the sun is placed where the screen has it."""
    travel = rail.height - 2 * rail.width // 2
    center_y = round(rail.bottom - rail.width // 2 - travel * max(0.0, min(1.0, height))) - origin[1]
    rail = rail.move(-origin[0], -origin[1])
    pygame.draw.rect(surface, mix(CORK, (255, 255, 255), 0.12), rail, border_radius=rail.width // 2)
    pygame.draw.line(
        surface,
        mix(CORK, INK, 0.35),
        (rail.centerx, rail.y + rail.width // 2),
        (rail.centerx, rail.bottom - rail.width // 2),
        px(3),
    )
    radius = rail.width * 3 // 10
    center = (rail.centerx, center_y)
    for ray in range(12):
        angle = ray * math.tau / 12
        inner, outer = radius * 1.15, radius * (1.5 if ray % 2 else 1.35)
        pygame.draw.line(
            surface,
            SUN_RAYS,
            (center[0] + inner * math.cos(angle), center[1] + inner * math.sin(angle)),
            (center[0] + outer * math.cos(angle), center[1] + outer * math.sin(angle)),
            px(4),
        )
    pygame.draw.circle(surface, SUN, center, radius)
    pygame.draw.circle(
        surface, mix(SUN, (255, 255, 255), 0.5), (center[0] - radius // 3, center[1] - radius // 3), max(2, radius // 4)
    )


def _dashed_rect(surface: pygame.Surface, color: Color, rect: Rect, width: int, dash: int) -> None:
    corners = [rect.topleft, rect.topright, rect.bottomright, rect.bottomleft, rect.topleft]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        for start in range(0, int(length), dash * 2):
            end = min(length, start + dash)
            pygame.draw.line(
                surface,
                color,
                (x0 + (x1 - x0) * start / length, y0 + (y1 - y0) * start / length),
                (x0 + (x1 - x0) * end / length, y0 + (y1 - y0) * end / length),
                width,
            )


def _offline_frame(canvas: pygame.Surface, place: CardPlace, word: str, fonts: Fonts, px) -> None:
    """Caution stripes: the reader is down, so we do not know what hangs here."""
    frame = place.frame
    _soft_shadow(canvas, frame, px(6), offset=(px(4), px(7)), strength=90, shadow_of=_card_shadow)
    card = pygame.Surface(frame.size).convert()
    _caution_tape(card, card.get_rect(), word, fonts, px)
    canvas.blit(card, frame)


def _caution_tape(surface: pygame.Surface, area: pygame.Rect, word: str, fonts: Fonts, px) -> None:
    """Yellow and black stripes over `area` with `word` on a paper label in the middle."""
    tape = pygame.Surface(area.size).convert()
    tape.fill(OFFLINE_STRIPE)
    stripe = max(4, surface.get_width() // 7)
    for x in range(-area.height, area.width, stripe * 2):
        pygame.draw.polygon(
            tape,
            OFFLINE_WARN,
            [(x, area.height), (x + stripe, area.height), (x + stripe + area.height, 0), (x + area.height, 0)],
        )
    font, word = fit([word], fonts.bold, round(area.width * 0.8), round(surface.get_width() * 0.15), px(14))
    text = font.render(word, True, INK)
    label = text.get_rect(center=(area.width // 2, area.height // 2)).inflate(px(16), px(10))
    pygame.draw.rect(tape, PAPER, label, border_radius=px(6))
    tape.blit(text, text.get_rect(center=label.center))
    surface.blit(tape, area)


# ---------------------------------------------------------------- panel


class _Panel:
    """The paper card beside (or under) the wall: thermometer, counts, feed, movers.

    Every line is fitted to the width of its area and recorded in `boxes`.
    """

    def __init__(self, canvas: pygame.Surface, layout: Layout, fonts: Fonts, texts: Texts, boxes: list[TextBox]):
        self.canvas = canvas
        self.place: PanelPlace = layout.panel
        self.px = layout.px
        self.fonts = fonts
        self.t = texts
        self.boxes = boxes

    def draw(self, snapshot: Snapshot, now: datetime) -> None:
        period = snapshot.period
        period_name = self.t.period_name(period.starts_at, period.ends_at)
        self._line(self.fonts.ui, self.t.long_date(now.date()), INK_SOFT, self.place.date, self.place.date.y, 28, 20)
        if snapshot.storage_failed:
            self._alarm(self.t("storage_failed"))
        _draw_thermometer(self.canvas, self.place.thermometer, period, self.fonts, self.px, self.t, self.boxes)
        self._counts(period, period_name, now)
        self._feed(snapshot, now)
        self._moved_up(snapshot.moved_up, period_name)

    def _alarm(self, words: str) -> None:
        """A red badge over the date: the wall cannot save what happens (a full disk)."""
        area, margin = self.place.date, self.px(8)
        face, line = fit([words], self.fonts.bold, area.width - 2 * margin, self.px(26), self.px(16))
        label = face.render(line, True, POLAROID)
        badge = label.get_rect(topleft=area.topleft).inflate(2 * margin, margin)
        badge.topleft = area.topleft
        pygame.draw.rect(self.canvas, MERCURY, badge, border_radius=margin)
        self.canvas.blit(label, label.get_rect(center=badge.center))

    def _line(
        self,
        face_of,
        text: str | list[str],
        color: Color,
        area: Rect,
        y: int,
        size: int,
        min_size: int,
        x: int | None = None,
    ) -> int:
        """One line in `area` from (x, y): the first of `text`'s variants that fits, shrunk to `min_size`
        at most, else cut with an ellipsis. Returns the y under it."""
        x = area.x if x is None else x
        width = area.right - x
        face, line = fit([text] if isinstance(text, str) else text, face_of, width, self.px(size), self.px(min_size))
        if y + face.get_height() > area.bottom:
            return y  # no room left in its area: the less important lines come last and give way
        image = face.render(line, True, color)
        drawn = self.canvas.blit(image, (x, y))
        self.boxes.append(TextBox(line, area, drawn))
        return y + face.get_linesize()

    def _paragraph(self, face_of, text: str, color: Color, area: Rect, y: int, size: int, max_lines: int = 3) -> int:
        """`text` wrapped to the width of `area` from y down; return the y under it."""
        face, lines = fit_lines(text, face_of, area.width, self.px(size), self.px(20), max_lines)
        for row in lines:
            if y + face.get_height() > area.bottom:
                break
            image = face.render(row, True, color)
            self.boxes.append(TextBox(row, area, self.canvas.blit(image, (area.x, y))))
            y += face.get_linesize()
        return y

    def _counts(self, period: PeriodView, period_name: str, now: datetime) -> None:
        area, px = self.place.counts, self.px
        y = area.y
        big, number = fit([str(period.count)], self.fonts.bold, area.width, px(150), px(150))
        image = big.render(number, True, MERCURY)
        self.boxes.append(TextBox(number, area, self.canvas.blit(image, (area.x, y - big.get_descent() // 2))))
        y += big.get_linesize() - big.get_descent() // 2
        y = self._line(self.fonts.bold, self.t("of_goal", goal=period.goal), INK, area, y, 30, 22)
        y = self._line(self.fonts.ui, period_name, INK_SOFT, area, y, 30, 22) + px(12)
        if period.today:
            y = self._line(self.fonts.bold, self.t("today", count=period.today), GOOD_NEWS, area, y, 34, 24)
        else:
            y = self._line(self.fonts.ui, self.t("today_none"), INK_SOFT, area, y, 30, 22)
        if period.count >= period.goal:
            self._line(self.fonts.bold, self.t("goal_done"), MERCURY, area, y, 30, 22)
            return
        ahead = pace(period, now)
        days = self.t("last_day") if ahead.days_left == 1 else self.t("days_left", days=ahead.days_left)
        y = self._line(self.fonts.bold, self.t("to_go", missing=ahead.missing), INK, area, y, 30, 22)
        y = self._line(self.fonts.ui, days, INK_SOFT, area, y, 28, 20)
        if ahead.on_schedule:
            self._line(self.fonts.bold, self.t("on_schedule"), GOOD_NEWS, area, y, 28, 20)
        else:
            self._line(self.fonts.bold, self.t("per_day", count=ahead.per_day), MERCURY, area, y, 28, 20)

    def _feed(self, snapshot: Snapshot, now: datetime) -> None:
        area, px = self.place.feed, self.px
        y = area.y
        if snapshot.pad_window:  # one line: the list of attempts stays in view while the pad is open
            titles = [self.t("pad_open", coach=name) for name in name_variants(snapshot.pad_window.coach)]
            y = self._sticky(y, titles, self.t("pad_hint"))
        if snapshot.message:
            y = self._sticky(y, snapshot.message, None)
        y = self._line(self.fonts.hand, self.t("recent_title"), INK, area, y, 40, 28) + px(4)
        if not snapshot.recent_attempts:
            self._paragraph(self.fonts.ui, self.t("recent_none"), INK_SOFT, area, y, 26)
            return
        entry_height = self.fonts.bold(px(28)).get_linesize() + self.fonts.ui(px(24)).get_linesize() + px(10)
        for attempt in snapshot.recent_attempts[:MAX_RECENT]:
            if y + entry_height > area.bottom:
                break
            dot = (area.x + px(8), y + self.fonts.bold(px(28)).get_linesize() // 2 + px(2))
            pygame.draw.circle(self.canvas, MERCURY, dot, px(7))
            # Shorten the name before dropping the verb, and drop the verb before cutting the name.
            names = name_variants(attempt.person)
            line = [self.t("attempt_line", person=name) for name in names] + names
            y = self._line(self.fonts.bold, line, INK, area, y, 28, 22, x=area.x + px(26))
            by = f"{self.t('attempt_by', coach=attempt.coach)} · {self.t.clock_time(attempt.at, now.date())}"
            y = self._line(self.fonts.ui, by, INK_SOFT, area, y, 24, 20, x=area.x + px(26)) + px(10)

    def _sticky(self, y: int, title: str | list[str], hint: str | None) -> int:
        """A yellow note: a message in up to two lines, or one line chosen from `title`'s variants."""
        area, px = self.place.feed, self.px
        inner_width = area.width - px(28)
        if isinstance(title, str):
            title_font, rows = fit_lines(title, self.fonts.bold, inner_width, px(28), px(22), max_lines=2)
        else:
            title_font, line = fit(title, self.fonts.bold, inner_width, px(28), px(22))
            rows = [line]
        hint_height = self.fonts.ui(px(24)).get_linesize() if hint else 0
        note = Rect(area.x, y, area.width, len(rows) * title_font.get_linesize() + hint_height + px(20))
        pygame.draw.rect(self.canvas, mix(STICKY, INK, 0.25), note.move(px(3), px(4)), border_radius=px(4))
        pygame.draw.rect(self.canvas, STICKY, note, border_radius=px(4))
        text_area = note.inflate(-px(28), 0)
        text_y = note.y + px(10)
        for row in rows:
            image = title_font.render(row, True, INK)
            self.boxes.append(TextBox(row, text_area, self.canvas.blit(image, (text_area.x, text_y))))
            text_y += title_font.get_linesize()
        if hint:
            self._line(self.fonts.ui, hint, INK_SOFT, text_area, text_y, 24, 18)
        return note.bottom + px(16)

    def _moved_up(self, names: tuple[str, ...], period_name: str) -> None:
        area, px = self.place.moved_up, self.px
        pygame.draw.line(
            self.canvas, mix(PAPER, INK, 0.2), (area.x, area.y - px(12)), (area.right, area.y - px(12)), px(2)
        )
        y = self._line(self.fonts.hand, self.t("moved_up_title", period=period_name), INK, area, area.y, 40, 28)
        if not names:
            self._paragraph(self.fonts.ui, self.t("moved_up_none"), INK_SOFT, area, y, 26, max_lines=2)
            return
        font = self.fonts.hand(px(34))
        line_height, gap = font.get_linesize(), px(30)
        chips = [fit(name_variants(name), lambda _: font, area.width - gap, 0, 0)[1] for name in names]
        rows: list[list[str]] = [[]]
        for chip in chips:
            used = sum(font.size(c)[0] + gap + px(8) for c in rows[-1])
            if rows[-1] and used + font.size(chip)[0] + gap > area.width:
                rows.append([])
            rows[-1].append(chip)
        room = max(1, (area.bottom - y) // line_height)
        shown = rows[:room]
        hidden = len(chips) - sum(len(row) for row in shown)
        if hidden:  # say how many more, right after the last name shown
            more = f"+{hidden}"
            while shown[-1] and sum(font.size(c)[0] + gap + px(8) for c in shown[-1]) + font.size(more)[0] > area.width:
                shown[-1].pop()
                hidden += 1
                more = f"+{hidden}"
        for row in shown:
            x = area.x
            for name in row:
                arrow_x, arrow_y = x + px(9), y + line_height // 2
                pygame.draw.polygon(
                    self.canvas,
                    GOOD_NEWS,
                    [
                        (arrow_x, arrow_y - px(10)),
                        (arrow_x - px(9), arrow_y + px(6)),
                        (arrow_x + px(9), arrow_y + px(6)),
                    ],
                )
                self.boxes.append(TextBox(name, area, self.canvas.blit(font.render(name, True, INK), (x + px(22), y))))
                x += font.size(name)[0] + gap + px(8)
            if row is shown[-1] and hidden:
                self.boxes.append(TextBox(more, area, self.canvas.blit(font.render(more, True, INK_SOFT), (x, y))))
            y += line_height


def thermometer_fill(place: ThermometerPlace, period: PeriodView, px) -> int:
    """Height of the red column: the share of the goal, and never so little that one attempt is invisible."""
    if period.count <= 0:
        return 0
    return max(round(place.tube.height * period.fraction), min(place.tube.height, px(18)))


def _draw_thermometer(
    surface: pygame.Surface,
    place: ThermometerPlace,
    period: PeriodView,
    fonts: Fonts,
    px,
    texts: Texts,
    boxes: list[TextBox],
) -> None:
    """A glass thermometer whose red column stands at the share of the goal, with milestone ticks."""
    glass, tube = place.glass, place.tube
    outline = mix(INK, PAPER, 0.2)
    pygame.draw.circle(surface, outline, place.bulb_center, place.bulb_radius + px(4))
    pygame.draw.rect(surface, outline, glass.inflate(px(8), px(8)), border_radius=glass.width)
    pygame.draw.circle(surface, GLASS, place.bulb_center, place.bulb_radius)
    pygame.draw.rect(surface, GLASS, glass, border_radius=glass.width // 2)
    pygame.draw.circle(surface, MERCURY, place.bulb_center, mercury_radius(place.bulb_radius))
    fill_height = thermometer_fill(place, period, px)
    column = Rect(tube.x, tube.bottom - fill_height, tube.width, fill_height + place.bulb_radius)
    pygame.draw.rect(
        surface, MERCURY, column, border_top_left_radius=tube.width // 2, border_top_right_radius=tube.width // 2
    )
    shine = Rect(
        tube.x + px(3), column.y + tube.width // 2, max(2, tube.width // 5), max(0, tube.bottom - column.y - tube.width)
    )
    pygame.draw.rect(surface, MERCURY_LIGHT, shine)
    pygame.draw.circle(
        surface,
        MERCURY_LIGHT,
        (place.bulb_center[0] - place.bulb_radius // 3, place.bulb_center[1] - place.bulb_radius // 3),
        max(2, place.bulb_radius // 4),
    )
    labels = Rect(glass.right + px(28), place.area.y, place.area.right - glass.right - px(28), place.area.height)
    for target in milestones(period.goal):
        y = tube.bottom - round(tube.height * target / max(1, period.goal))
        reached = period.count >= target
        pygame.draw.line(
            surface, INK if reached else INK_SOFT, (glass.right + px(6), y), (glass.right + px(22), y), px(3)
        )
        face, label = fit(
            [str(target)], fonts.bold if reached else fonts.ui, labels.width, px(26 if reached else 24), px(16)
        )
        image = face.render(label, True, INK if reached else INK_SOFT)
        boxes.append(TextBox(label, labels, surface.blit(image, image.get_rect(midleft=(labels.x, y)))))
    goal_area = Rect(place.area.x, place.area.y, place.area.width, glass.y - px(10) - place.area.y)
    face, word = fit([texts("goal_label")], fonts.hand, goal_area.width, px(30), px(20))
    image = face.render(word, True, INK_SOFT)
    drawn = image.get_rect(midbottom=(glass.centerx, glass.y - px(10)))
    drawn.clamp_ip(goal_area)
    boxes.append(TextBox(word, goal_area, surface.blit(image, drawn)))
