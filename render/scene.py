"""Paints a Snapshot onto a canvas, repainting only the parts that changed.

The static picture (cork, level strips, level names, the panel's paper) is
drawn once into a background layer. Each card and the panel remember the
values they were drawn from; `paint` redraws a part only when those differ,
restoring the background under it first. Needs a display mode to be set
(convert() needs the screen's pixel format).
"""

import math
import random
from datetime import datetime, timedelta

import pygame
from pygame import Rect

from board.core.i18n import Texts
from board.core.snapshot import LevelView, PeriodView, PersonView, SlotStatus, SlotView, Snapshot
from render.layout import BandPlace, CardPlace, Layout, PanelPlace, ThermometerPlace, compute_layout, mercury_radius
from render.photos import PhotoCache
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

MILESTONES = (0.25, 0.5, 0.75, 1.0)
GOOD_NEWS: Color = (46, 132, 78)
MAX_RECENT = 8


class WallPainter:
    def __init__(self, size: tuple[int, int], fonts: Fonts | None = None, photos: PhotoCache | None = None,
                 highlight: timedelta = timedelta(hours=24)):
        self.size = size
        self.fonts = fonts or Fonts()
        self.photos = photos or PhotoCache(self.fonts)
        self.highlight = highlight
        self.canvas = pygame.Surface(size).convert()
        self.layout: Layout = compute_layout(size, ())
        self._shape: tuple | None = None
        self._background = self.canvas.copy()
        self._card_keys: dict[str, tuple] = {}
        self._panel_key: tuple | None = None

    def paint(self, snapshot: Snapshot, now: datetime) -> list[Rect]:
        """Bring the canvas up to `snapshot` at `now`; return the rectangles that changed."""
        dirty: list[Rect] = []
        shape = tuple((level.id, level.name, tuple(slot.id for slot in level.slots)) for level in snapshot.levels)
        if shape != self._shape:
            self._shape = shape
            self.layout = compute_layout(self.size, [(level_id, slot_ids) for level_id, _, slot_ids in shape])
            self._background = _background(self.layout, snapshot.levels, self.fonts)
            self.canvas.blit(self._background, (0, 0))
            self._card_keys.clear()
            self._panel_key = None
            dirty.append(self.canvas.get_rect())
        texts = Texts(snapshot.language)
        for index, (band, level) in enumerate(zip(self.layout.bands, snapshot.levels)):
            strip = band_color(index, len(snapshot.levels))
            for place, slot in zip(band.cards, level.slots):
                key = (slot, self.is_fresh(slot, now), texts.language)
                if self._card_keys.get(slot.id) != key:
                    self._card_keys[slot.id] = key
                    self.canvas.blit(self._background, place.cell, place.cell)
                    self._draw_slot(place, slot, key[1], strip, texts)
                    dirty.append(place.cell)
        panel_key = (snapshot.period, snapshot.recent_attempts[:MAX_RECENT], snapshot.moved_up,
                     snapshot.pad_window, snapshot.message, texts.language, now.date())
        if panel_key != self._panel_key:
            self._panel_key = panel_key
            sheet = self.layout.panel.sheet
            self.canvas.blit(self._background, sheet, sheet)
            _Panel(self.canvas, self.layout, self.fonts, texts).draw(snapshot, now)
            dirty.append(sheet)
        return dirty

    def is_fresh(self, slot: SlotView, now: datetime) -> bool:
        """Moved here recently enough to glow, so passers-by notice the move."""
        return (slot.status is SlotStatus.OCCUPIED and slot.moved_at is not None
                and timedelta(0) <= now - slot.moved_at < self.highlight)

    def _draw_slot(self, place: CardPlace, slot: SlotView, fresh: bool, strip: Color, texts: Texts) -> None:
        px = self.layout.px
        if slot.status is SlotStatus.EMPTY:
            _empty_frame(self.canvas, place, strip, texts("empty"), self.fonts, px)
        elif slot.status is SlotStatus.OFFLINE and slot.person is None:
            _offline_frame(self.canvas, place, texts("offline"), self.fonts, px)
        elif slot.status is SlotStatus.OFFLINE:
            # Still who we last saw here, crossed by caution tape: offline is not empty.
            face = self._person_face(place, slot.person)
            photo = place.photo.move(-place.frame.x, -place.frame.y)
            tape = pygame.Rect(photo.x, photo.centery - photo.height // 5, photo.width, photo.height * 2 // 5)
            _caution_tape(face, tape, texts("offline"), self.fonts, px)
            pin_up(self.canvas, place, face, PIN, px, glow=False)
        elif slot.status is SlotStatus.UNKNOWN:
            face = polaroid_face(place, unknown_picture(place, slot.unknown_uid, self.fonts),
                                  [texts("unknown")], self.fonts.ui)
            pin_up(self.canvas, place, face, PIN, px, glow=False)
        else:
            face = self._person_face(place, slot.person or PersonView(id=0, name="?", photo=None))
            pin_up(self.canvas, place, face, PIN_NEW if fresh else PIN, px, glow=fresh)

    def _person_face(self, place: CardPlace, person: PersonView) -> pygame.Surface:
        portrait = self.photos.portrait(person.name, person.photo, place.photo.width)
        return polaroid_face(place, portrait, name_variants(person.name), self.fonts.hand)


# ---------------------------------------------------------------- background

def _background(layout: Layout, levels: tuple[LevelView, ...], fonts: Fonts) -> pygame.Surface:
    surface = pygame.Surface(layout.size).convert()
    surface.fill(CORK)
    _cork_grain(surface, layout.px)
    for index, (band, level) in enumerate(zip(layout.bands, levels)):
        _level_strip(surface, band, level.name, index, len(levels), fonts, layout.px)
    sheet = layout.panel.sheet
    _soft_shadow(surface, sheet, layout.px(10), offset=(layout.px(4), layout.px(8)))
    pygame.draw.rect(surface, PAPER, sheet, border_radius=layout.px(10))
    for x in (sheet.x + layout.px(40), sheet.right - layout.px(40)):
        _pin(surface, (x, sheet.y + layout.px(14)), layout.px(10), PIN)
    return surface


def _cork_grain(surface: pygame.Surface, px) -> None:
    """Speckles like a cork board: fixed seed, so every redraw looks the same."""
    rng = random.Random(1972)
    width, height = surface.get_size()
    for _ in range(width * height // 700):
        color = CORK_DARK if rng.random() < 0.6 else CORK_LIGHT
        radius = rng.choice((1, 1, 1, 2, 2, 3))
        pygame.draw.circle(surface, color, (rng.randrange(width), rng.randrange(height)), px(radius))


def _level_strip(surface, band: BandPlace, name: str, index: int, count: int, fonts: Fonts, px) -> None:
    color = band_color(index, count)
    _soft_shadow(surface, band.strip, px(8), offset=(px(3), px(5)))
    pygame.draw.rect(surface, color, band.strip, border_radius=px(8))
    label = band.label.inflate(-px(24), -px(16))
    number = fonts.bold(px(26)).render(str(index + 1), True, mix(color, INK, 0.55))
    font, lines = _fit_lines(name, fonts.hand, label.width, px(40), max_lines=2)
    line_height = font.get_linesize()
    top = label.centery - (len(lines) * line_height) // 2 + px(10)
    surface.blit(number, number.get_rect(midbottom=(label.centerx, top)))
    for row, line in enumerate(lines):
        image = font.render(line, True, INK)
        surface.blit(image, image.get_rect(midtop=(label.centerx, top + row * line_height)))
    if index < count - 1:  # an arrow to the next level: moving up is the point
        tip = (band.label.centerx, band.strip.y + px(6))
        pygame.draw.polygon(surface, mix(color, INK, 0.35),
                            [tip, (tip[0] - px(12), tip[1] + px(12)), (tip[0] + px(12), tip[1] + px(12))])


def _soft_shadow(surface: pygame.Surface, rect: Rect, radius: int, offset: tuple[int, int], strength: int = 70) -> None:
    """A blurred shadow: drawn small and scaled up, which blurs for free."""
    spread = radius * 2
    shadow = pygame.Surface((rect.width + 2 * spread, rect.height + 2 * spread), pygame.SRCALPHA)
    pygame.draw.rect(shadow, (0, 0, 0, strength), (spread, spread, rect.width, rect.height), border_radius=radius)
    small = pygame.transform.smoothscale(shadow, (max(1, shadow.get_width() // 6), max(1, shadow.get_height() // 6)))
    blurred = pygame.transform.smoothscale(small, shadow.get_size())
    surface.blit(blurred, (rect.x - spread + offset[0], rect.y - spread + offset[1]))


# ---------------------------------------------------------------- cards

def polaroid_face(place: CardPlace, picture: pygame.Surface, captions: list[str], font_of) -> pygame.Surface:
    """A white polaroid: the picture, and the first caption that fits written under it."""
    face = pygame.Surface(place.frame.size).convert()
    face.fill(POLAROID)
    photo = place.photo.move(-place.frame.x, -place.frame.y)
    face.blit(picture, photo)
    pygame.draw.rect(face, mix(POLAROID, INK, 0.15), photo, 1)
    area = place.caption.move(-place.frame.x, -place.frame.y)
    width, size = round(area.width * 0.96), round(area.height * 0.62)
    caption = next((c for c in captions if font_of(size).size(c)[0] <= width), captions[-1])
    font, _ = _fit_lines(caption, font_of, width, size, max_lines=1)
    text = font.render(caption, True, INK)
    face.blit(text, text.get_rect(center=area.center))
    pygame.draw.rect(face, mix(POLAROID, INK, 0.12), face.get_rect(), 1)
    return face


def name_variants(name: str) -> list[str]:
    """"Sanne de Vries", then "Sanne V.", then "Sanne": the longest that fits is written."""
    words = name.split()
    if len(words) < 2:
        return [name]
    return [name, f"{words[0]} {words[-1][0]}.", words[0]]


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


def pin_up(canvas: pygame.Surface, place: CardPlace, face: pygame.Surface, pin_color: Color, px, glow: bool) -> None:
    """Tilt the card, give it a shadow (and a glow if it moved recently) and pin it."""
    if glow:
        _glow(canvas, place.frame, px)
    _soft_shadow(canvas, place.frame, px(6), offset=(px(4), px(7)), strength=90)
    tilted = pygame.transform.rotozoom(face.convert_alpha(), place.angle, 1)
    canvas.blit(tilted, tilted.get_rect(center=place.frame.center))
    radians = math.radians(place.angle)
    offset_y = -place.frame.height / 2 + (place.photo.y - place.frame.y) * 1.4
    pin_at = (round(place.frame.centerx + offset_y * math.sin(radians)),
              round(place.frame.centery + offset_y * math.cos(radians)))
    _pin(canvas, pin_at, px(9), pin_color)


def _glow(canvas: pygame.Surface, frame: Rect, px) -> None:
    spread = px(16)
    halo = pygame.Surface((frame.width + 2 * spread, frame.height + 2 * spread), pygame.SRCALPHA)
    for step in range(6):
        inset = step * spread // 6
        pygame.draw.rect(halo, (*HIGHLIGHT, 40 + step * 25), halo.get_rect().inflate(-2 * inset, -2 * inset),
                         border_radius=spread)
    canvas.blit(halo, (frame.x - spread, frame.y - spread))


def _pin(surface: pygame.Surface, center: tuple[int, int], radius: int, color: Color) -> None:
    pygame.draw.circle(surface, mix(color, (0, 0, 0), 0.55), (center[0] + radius // 3, center[1] + radius // 2), radius)
    pygame.draw.circle(surface, color, center, radius)
    pygame.draw.circle(surface, mix(color, (255, 255, 255), 0.6),
                       (center[0] - radius // 3, center[1] - radius // 3), max(1, radius // 3))


def _empty_frame(canvas: pygame.Surface, place: CardPlace, strip: Color, word: str, fonts: Fonts, px) -> None:
    """An outlined frame where a card may go: clearly a place, clearly free."""
    frame = place.frame
    line = mix(strip, INK, 0.3)
    pygame.draw.rect(canvas, mix(strip, (255, 255, 255), 0.25), frame, border_radius=px(4))
    _dashed_rect(canvas, line, frame, px(3), px(12))
    pygame.draw.rect(canvas, mix(strip, INK, 0.08), place.photo)
    text = fonts.hand(round(place.caption.height * 0.5)).render(word, True, mix(strip, INK, 0.45))
    canvas.blit(text, text.get_rect(center=place.caption.center))


def _dashed_rect(surface: pygame.Surface, color: Color, rect: Rect, width: int, dash: int) -> None:
    corners = [rect.topleft, rect.topright, rect.bottomright, rect.bottomleft, rect.topleft]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        for start in range(0, int(length), dash * 2):
            end = min(length, start + dash)
            pygame.draw.line(surface, color,
                             (x0 + (x1 - x0) * start / length, y0 + (y1 - y0) * start / length),
                             (x0 + (x1 - x0) * end / length, y0 + (y1 - y0) * end / length), width)


def _offline_frame(canvas: pygame.Surface, place: CardPlace, word: str, fonts: Fonts, px) -> None:
    """Caution stripes: the reader is down, so we do not know what hangs here."""
    frame = place.frame
    _soft_shadow(canvas, frame, px(6), offset=(px(4), px(7)), strength=90)
    card = pygame.Surface(frame.size).convert()
    _caution_tape(card, card.get_rect(), word, fonts, px)
    canvas.blit(card, frame)


def _caution_tape(surface: pygame.Surface, area: pygame.Rect, word: str, fonts: Fonts, px) -> None:
    """Yellow and black stripes over `area` with `word` on a paper label in the middle."""
    tape = pygame.Surface(area.size).convert()
    tape.fill(OFFLINE_STRIPE)
    stripe = max(4, surface.get_width() // 7)
    for x in range(-area.height, area.width, stripe * 2):
        pygame.draw.polygon(tape, OFFLINE_WARN, [(x, area.height), (x + stripe, area.height),
                                                 (x + stripe + area.height, 0), (x + area.height, 0)])
    font, _ = _fit_lines(word, fonts.bold, round(area.width * 0.8), round(surface.get_width() * 0.15), max_lines=1)
    text = font.render(word, True, INK)
    label = text.get_rect(center=(area.width // 2, area.height // 2)).inflate(px(16), px(10))
    pygame.draw.rect(tape, PAPER, label, border_radius=px(6))
    tape.blit(text, text.get_rect(center=label.center))
    surface.blit(tape, area)


# ---------------------------------------------------------------- panel

class _Panel:
    """The paper card beside (or under) the wall: thermometer, counts, feed, movers."""

    def __init__(self, canvas: pygame.Surface, layout: Layout, fonts: Fonts, texts: Texts):
        self.canvas = canvas
        self.place: PanelPlace = layout.panel
        self.px = layout.px
        self.fonts = fonts
        self.t = texts

    def draw(self, snapshot: Snapshot, now: datetime) -> None:
        period = snapshot.period
        period_name = self.t.period_name(period.starts_at, period.ends_at)
        date = self.fonts.ui(self.px(28)).render(self.t.long_date(now.date()), True, INK_SOFT)
        self.canvas.blit(date, self.place.date.topleft)
        _draw_thermometer(self.canvas, self.place.thermometer, period, self.fonts, self.px, self.t)
        self._counts(period.count, period.goal, period.today, period_name)
        self._feed(snapshot, now)
        self._moved_up(snapshot.moved_up, period_name)

    def _text(self, font, text: str, color: Color, x: int, y: int) -> int:
        """Blit one line at (x, y); return the y under it."""
        image = font.render(text, True, color)
        self.canvas.blit(image, (x, y))
        return y + font.get_linesize()

    def _paragraph(self, font, text: str, color: Color, area: Rect, y: int) -> int:
        """Write `text` wrapped to the width of `area` from y down; return the y under it."""
        for row in _wrap(text, font, area.width):
            y = self._text(font, row, color, area.x, y)
        return y

    def _counts(self, count: int, goal: int, today: int, period_name: str) -> None:
        area, px = self.place.counts, self.px
        y = area.y + px(40)
        big, _ = _fit_lines(str(count), self.fonts.bold, area.width, px(150), max_lines=1)
        y = self._text(big, str(count), MERCURY, area.x, y - big.get_descent() // 2)
        y = self._text(self.fonts.bold(px(30)), self.t("of_goal", goal=goal), INK, area.x, y)
        y = self._text(self.fonts.ui(px(30)), period_name, INK_SOFT, area.x, y) + px(18)
        if today:
            y = self._text(self.fonts.bold(px(34)), self.t("today", count=today), GOOD_NEWS, area.x, y) + px(6)
        else:
            y = self._text(self.fonts.ui(px(30)), self.t("today_none"), INK_SOFT, area.x, y) + px(6)
        upcoming = next((m for m in MILESTONES if count < math.ceil(goal * m)), None)
        if upcoming is None:
            self._text(self.fonts.bold(px(30)), self.t("goal_done"), MERCURY, area.x, y)
        else:
            target = math.ceil(goal * upcoming)
            self._paragraph(self.fonts.ui(px(28)), self.t("to_next", missing=target - count, milestone=target),
                            INK_SOFT, area, y)

    def _feed(self, snapshot: Snapshot, now: datetime) -> None:
        area, px = self.place.feed, self.px
        y = area.y
        if snapshot.pad_window:
            y = self._sticky(y, self.t("pad_open", coach=snapshot.pad_window.coach), self.t("pad_hint"))
        if snapshot.message:
            y = self._sticky(y, snapshot.message, None)
        y = self._text(self.fonts.hand(px(40)), self.t("recent_title"), INK, area.x, y) + px(4)
        if not snapshot.recent_attempts:
            self._paragraph(self.fonts.ui(px(26)), self.t("recent_none"), INK_SOFT, area, y)
            return
        name_font, by_font = self.fonts.bold(px(28)), self.fonts.ui(px(24))
        entry_height = name_font.get_linesize() + by_font.get_linesize() + px(10)
        for attempt in snapshot.recent_attempts[:MAX_RECENT]:
            if y + entry_height > area.bottom:
                break
            dot = (area.x + px(8), y + name_font.get_linesize() // 2 + px(2))
            pygame.draw.circle(self.canvas, MERCURY, dot, px(7))
            line = _ellipsize(self.t("attempt_line", person=attempt.person), name_font, area.width - px(26))
            y = self._text(name_font, line, INK, area.x + px(26), y)
            by = f"{self.t('attempt_by', coach=attempt.coach)} · {self.t.clock_time(attempt.at, now.date())}"
            y = self._text(by_font, _ellipsize(by, by_font, area.width - px(26)), INK_SOFT, area.x + px(26), y) + px(10)

    def _sticky(self, y: int, title: str, hint: str | None) -> int:
        area, px = self.place.feed, self.px
        title_font, hint_font = self.fonts.bold(px(28)), self.fonts.ui(px(24))
        rows = _wrap(title, title_font, area.width - px(28))[:3]
        height = len(rows) * title_font.get_linesize() + (hint_font.get_linesize() if hint else 0) + px(20)
        note = Rect(area.x, y, area.width, height)
        pygame.draw.rect(self.canvas, mix(STICKY, INK, 0.25), note.move(px(3), px(4)), border_radius=px(4))
        pygame.draw.rect(self.canvas, STICKY, note, border_radius=px(4))
        text_y = note.y + px(10)
        for row in rows:
            text_y = self._text(title_font, row, INK, note.x + px(14), text_y)
        if hint:
            self._text(hint_font, hint, INK_SOFT, note.x + px(14), text_y)
        return note.bottom + px(16)

    def _moved_up(self, names: tuple[str, ...], period_name: str) -> None:
        area, px = self.place.moved_up, self.px
        pygame.draw.line(self.canvas, mix(PAPER, INK, 0.2), (area.x, area.y - px(12)), (area.right, area.y - px(12)), px(2))
        y = self._text(self.fonts.hand(px(40)), self.t("moved_up_title", period=period_name), INK, area.x, area.y)
        if not names:
            self._paragraph(self.fonts.ui(px(26)), self.t("moved_up_none"), INK_SOFT, area, y)
            return
        font = self.fonts.hand(px(34))
        x, line_height = area.x, font.get_linesize()
        for index, name in enumerate(names):
            width = font.size(name)[0] + px(30)
            if x + width > area.right and x > area.x:
                x, y = area.x, y + line_height
            if y + line_height > area.bottom:
                more = font.render(f"+{len(names) - index}", True, INK_SOFT)
                self.canvas.blit(more, (area.right - more.get_width(), y - line_height))
                return
            arrow_x, arrow_y = x + px(9), y + line_height // 2
            pygame.draw.polygon(self.canvas, GOOD_NEWS, [(arrow_x, arrow_y - px(10)), (arrow_x - px(9), arrow_y + px(6)),
                                                         (arrow_x + px(9), arrow_y + px(6))])
            self.canvas.blit(font.render(name, True, INK), (x + px(22), y))
            x += width + px(8)


def _draw_thermometer(surface: pygame.Surface, place: ThermometerPlace, period: PeriodView, fonts: Fonts,
                      px, texts: Texts) -> None:
    """A glass thermometer whose red column stands at the share of the goal, with milestone ticks."""
    glass, tube = place.glass, place.tube
    outline = mix(INK, PAPER, 0.2)
    pygame.draw.circle(surface, outline, place.bulb_center, place.bulb_radius + px(4))
    pygame.draw.rect(surface, outline, glass.inflate(px(8), px(8)), border_radius=glass.width)
    pygame.draw.circle(surface, GLASS, place.bulb_center, place.bulb_radius)
    pygame.draw.rect(surface, GLASS, glass, border_radius=glass.width // 2)
    pygame.draw.circle(surface, MERCURY, place.bulb_center, mercury_radius(place.bulb_radius))
    fill_height = round(tube.height * period.fraction)
    column = Rect(tube.x, tube.bottom - fill_height, tube.width, fill_height + place.bulb_radius)
    pygame.draw.rect(surface, MERCURY, column, border_top_left_radius=tube.width // 2, border_top_right_radius=tube.width // 2)
    shine = Rect(tube.x + px(3), column.y + tube.width // 2, max(2, tube.width // 5), max(0, tube.bottom - column.y - tube.width))
    pygame.draw.rect(surface, MERCURY_LIGHT, shine)
    pygame.draw.circle(surface, MERCURY_LIGHT,
                       (place.bulb_center[0] - place.bulb_radius // 3, place.bulb_center[1] - place.bulb_radius // 3),
                       max(2, place.bulb_radius // 4))
    label_font, reached_font = fonts.ui(px(24)), fonts.bold(px(26))
    for milestone in MILESTONES:
        y = tube.bottom - round(tube.height * milestone)
        target = math.ceil(period.goal * milestone)
        reached = period.count >= target
        pygame.draw.line(surface, INK if reached else INK_SOFT, (glass.right + px(6), y), (glass.right + px(22), y), px(3))
        label = (reached_font if reached else label_font).render(str(target), True, INK if reached else INK_SOFT)
        surface.blit(label, label.get_rect(midleft=(glass.right + px(28), y)))
    goal_word = fonts.hand(px(30)).render(texts("goal_label"), True, INK_SOFT)
    surface.blit(goal_word, goal_word.get_rect(midbottom=(glass.centerx, glass.y - px(10))))


# ---------------------------------------------------------------- text helpers

def _wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.size(f"{lines[-1]} {word}")[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _fit_lines(text: str, font_of, width: int, size: int, max_lines: int) -> tuple[pygame.font.Font, list[str]]:
    """The largest font (from `size` down) in which `text` wraps into `max_lines` that fit `width`."""
    while True:
        font = font_of(size)
        lines = _wrap(text, font, width)
        if size <= 10 or (len(lines) <= max_lines and all(font.size(line)[0] <= width for line in lines)):
            return font, lines
        size -= max(1, size // 12)


def _ellipsize(text: str, font: pygame.font.Font, width: int) -> str:
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "…")[0] > width:
        text = text[:-1]
    return text.rstrip() + "…"
