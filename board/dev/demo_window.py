"""`wallboard demo`: the example wall in a window, a wall you can touch.

The window shows the real wall screen with a table under it: the coach pad,
the coaches' badges and the cards in your hand. Whatever you do with the mouse
happens to the simulated readers behind the wall, so the real scanner and
rules decide what it means: debounce, the move window and the pad's confirm
window all apply, and the screen above shows their verdict.
"""

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pygame
from pygame import Rect

from board.core.i18n import Texts
from board.core.uid import normalise_uid
from render.config import DisplayConfig, NightMode
from render.display import WallDisplay
from render.layout import card_in
from render.scene import pin_up, polaroid_face, tilted, unknown_picture
from render.screen import open_screen
from render.text import fit, name_variants
from render.theme import INK, INK_SOFT, PAPER, PIN, Color, mix, tile_color
from sensors.sim import SimulatedReader

log = logging.getLogger(__name__)

TABLE: Color = (92, 64, 44)
TABLE_INK: Color = (246, 232, 210)
PAD: Color = (50, 58, 72)
PAD_OPEN: Color = (90, 200, 120)
SCREENSHOT = Path("wallboard-demo.png")
_NIGHT_PREVIEWS: tuple[NightMode | None, ...] = (None, "dim", "black")


@dataclass(frozen=True)
class DemoCard:
    uid: str
    name: str | None  # None: a card nobody owns yet, which the wall shows as unknown
    photo: str | None = None


@dataclass(frozen=True)
class DemoBadge:
    uid: str
    coach: str


@dataclass
class _Drag:
    item: DemoCard | DemoBadge
    pos: tuple[int, int]


@dataclass(frozen=True)
class _Tap:
    reader_id: str
    uid: str
    until: float


class DemoWindow(WallDisplay):
    """The wall display plus a table of things to drag onto the simulated readers."""

    def __init__(
        self,
        config: DisplayConfig,
        readers: Mapping[str, SimulatedReader],
        cards: Sequence[DemoCard],
        badges: Sequence[DemoBadge],
        *,
        pad_reader: str = "pad",
        tap_seconds: float = 1.0,
        clock: Callable[[], datetime],
        ticks: Callable[[], float] = time.monotonic,
    ):
        super().__init__(
            config.model_copy(update={"portrait": False, "burn_in_shift_pixels": 0}), clock=clock, ticks=ticks
        )
        self.readers = readers
        self.cards = {normalise_uid(card.uid): card for card in cards}
        self.badges = [DemoBadge(normalise_uid(badge.uid), badge.coach) for badge in badges]
        self.pad_reader = pad_reader
        self.tap_seconds = tap_seconds
        on_wall = set().union(*(reader.tags for reader in readers.values()))
        self.hand: list[DemoCard] = [card for uid, card in self.cards.items() if uid not in on_wall]
        self.blank_cards = 0
        self.broken_readers: set[str] = set()
        self.drag: _Drag | None = None
        self.taps: list[_Tap] = []
        self.help_visible = True  # until the first click: a newcomer sees what to do
        self.night_preview: NightMode | None = None
        self.mouse = (0, 0)
        self._overlay_changed = True
        self._faces: dict[tuple[str, int], pygame.Surface] = {}

    # ------------------------------------------------ window

    def open(self, screen: pygame.Surface | None = None) -> "DemoWindow":
        width, height = self.config.size
        table_height = round(height * 0.22)
        self.window = screen or open_screen(
            self.config.model_copy(update={"size": (width, height + table_height), "fullscreen": False})
        )
        super().open(self.window.subsurface((0, 0, width, height)))
        self.table = Rect(0, height, width, table_height)
        self.unit = self.painter.layout.unit
        pad_side = table_height - 2 * self._px(24)
        self.pad_rect = Rect(self._px(24), self.table.y + self._px(24), round(pad_side * 1.2), pad_side)
        return self

    def _px(self, size: float) -> int:
        return max(1, round(size * self.unit))

    @property
    def texts(self) -> Texts:
        return Texts(self.snapshot.language if self.snapshot else "nl")

    # ------------------------------------------------ loop hooks

    def step(self) -> bool:
        self._end_taps()
        return super().step()

    def next_wait(self) -> float:
        if self.drag or self.taps:
            return min(super().next_wait(), 1 / 60)
        return min(super().next_wait(), 0.05)  # stay quick to the mouse; a demo is not a 24/7 wall

    def needs_frame(self) -> bool:
        """The table changed, or a held tag's ring is pulsing."""
        changed, self._overlay_changed = self._overlay_changed, False
        return changed or bool(self.taps)

    def night_mode(self, now: datetime) -> NightMode | None:
        return self.night_preview

    # ------------------------------------------------ input

    def handle_input(self, event: pygame.event.Event) -> None:
        if event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos
            if self.drag:
                self.drag.pos = event.pos
                self._overlay_changed = True
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.help_visible = False
            self._pick_up(event.pos)
            self._overlay_changed = True
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self.drag:
            self._drop(event.pos)
            self._overlay_changed = True
        elif event.type == pygame.KEYDOWN and event.key in self._keys():
            self._keys()[event.key]()
            self._overlay_changed = True
        else:
            super().handle_input(event)

    def _keys(self) -> dict[int, Callable[[], None]]:
        return {
            pygame.K_h: self._toggle_help,
            pygame.K_o: self._toggle_reader_fault,
            pygame.K_n: self._next_night_preview,
            pygame.K_m: self._toggle_reduced_motion,
            pygame.K_s: self._save_screenshot,
        }

    def _toggle_help(self) -> None:
        self.help_visible = not self.help_visible

    def _toggle_reader_fault(self) -> None:
        """Break (or heal) the reader under the mouse: the wall must call it offline, not empty."""
        reader_id = self._reader_at(self.mouse)
        if reader_id is None:
            return
        broken = reader_id in self.broken_readers
        self.readers[reader_id].set_fault(None if broken else "unplugged in the demo")
        self.broken_readers ^= {reader_id}

    def _next_night_preview(self) -> None:
        index = _NIGHT_PREVIEWS.index(self.night_preview)
        self.night_preview = _NIGHT_PREVIEWS[(index + 1) % len(_NIGHT_PREVIEWS)]

    def _toggle_reduced_motion(self) -> None:
        self.config.reduced_motion = not self.config.reduced_motion

    def _save_screenshot(self) -> None:
        pygame.image.save(self.window, str(SCREENSHOT))
        log.info("saved %s", SCREENSHOT.resolve())

    # ------------------------------------------------ dragging onto the readers

    def _reader_at(self, pos: tuple[int, int]) -> str | None:
        if self.pad_rect.collidepoint(pos) and self.pad_reader in self.readers:
            return self.pad_reader
        if pos[1] < self.table.y:
            place = self.painter.layout.card_at(pos)
            if place and place.slot_id in self.readers:
                return place.slot_id
        return None

    def _pick_up(self, pos: tuple[int, int]) -> None:
        for badge, rect in self._badge_rects():
            if rect.collidepoint(pos):
                self.drag = _Drag(badge, pos)
                return
        for card, rect in self._hand_rects():
            if rect.collidepoint(pos):
                if card in self.hand:
                    self.hand.remove(card)
                else:  # the blank card: it becomes a card of its own, and a new blank appears
                    self.cards[card.uid] = card
                    self.blank_cards += 1
                self.drag = _Drag(card, pos)
                return
        reader_id = self._reader_at(pos)
        if reader_id is None or reader_id == self.pad_reader:
            return
        reader = self.readers[reader_id]
        badges = {badge.uid for badge in self.badges}
        cards = sorted(uid for uid in reader.tags if uid not in badges)
        if cards:
            reader.set_tags(reader.tags - {cards[0]})  # lifted off the wall
            self.drag = _Drag(self.cards.get(cards[0], DemoCard(cards[0], None)), pos)

    def _drop(self, pos: tuple[int, int]) -> None:
        item, self.drag = self.drag.item, None
        reader_id = self._reader_at(pos)
        if isinstance(item, DemoBadge):
            if reader_id is not None:
                self._tap(reader_id, item.uid)
            return
        if reader_id is not None and reader_id != self.pad_reader:
            reader = self.readers[reader_id]
            reader.set_tags(reader.tags | {item.uid})
            return
        if reader_id == self.pad_reader:
            self._tap(reader_id, item.uid)
        self.hand.append(item)  # off the wall, in your hand, until you hang it again

    def _tap(self, reader_id: str, uid: str) -> None:
        """Hold a tag against a reader for a moment, as a hand would."""
        reader = self.readers[reader_id]
        reader.set_tags(reader.tags | {uid})
        self.taps.append(_Tap(reader_id, uid, self._ticks() + self.tap_seconds))

    def _end_taps(self) -> None:
        now = self._ticks()
        for tap in [tap for tap in self.taps if tap.until <= now]:
            reader = self.readers[tap.reader_id]
            reader.set_tags(reader.tags - {tap.uid})
            self.taps.remove(tap)
            self._overlay_changed = True

    # ------------------------------------------------ drawing the table

    def show(self, frame: pygame.Surface, areas: list[Rect] | None = None) -> None:
        texts = self.texts
        self._draw_table(texts)
        self._draw_taps()
        if self.drag:
            self._draw_item(self.drag.item, self.drag.pos, lifted=True)
        if self.help_visible:
            self._draw_help(texts)
        pygame.display.flip()

    def _badge_rects(self) -> list[tuple[DemoBadge, Rect]]:
        size = self.pad_rect.height * 0.62
        x = self.pad_rect.right + self._px(60)
        return [
            (badge, Rect(round(x + index * size * 1.5), self.pad_rect.y + self._px(34), round(size), round(size)))
            for index, badge in enumerate(self.badges)
        ]

    def _hand_rects(self) -> list[tuple[DemoCard, Rect]]:
        height = self.pad_rect.height
        width = round(height * 0.82)
        cards = [
            *self.hand,
            DemoCard(f"04FE{self.blank_cards:010X}", None),
        ]  # a fresh unregistered card, always at hand
        right = self.table.right - self._px(24)
        return [
            (card, Rect(right - (len(cards) - index) * (width + self._px(10)), self.pad_rect.y, width, height))
            for index, card in enumerate(cards)
        ]

    def _draw_table(self, texts: Texts) -> None:
        surface, px = self.window, self._px
        surface.fill(TABLE, self.table)
        for y in range(self.table.y + px(7), self.table.bottom, px(11)):  # wood grain
            pygame.draw.line(surface, mix(TABLE, (0, 0, 0), 0.12), (0, y), (self.table.right, y + px(3)), 1)
        pad_open = self.snapshot.pad_window if self.snapshot else None
        pygame.draw.rect(surface, PAD, self.pad_rect, border_radius=px(14))
        pygame.draw.rect(
            surface, PAD_OPEN if pad_open else mix(PAD, TABLE_INK, 0.3), self.pad_rect, px(4), border_radius=px(14)
        )
        center = (self.pad_rect.centerx, self.pad_rect.centery - px(12))
        for ring in range(1, 4):  # the contactless sign
            radius = ring * px(14)
            pygame.draw.arc(
                surface,
                TABLE_INK,
                Rect(0, 0, 2 * radius, 2 * radius).move(center[0] - radius, center[1] - radius),
                -0.8,
                0.8,
                px(4),
            )
        labels = [texts("demo_pad")]
        if pad_open:  # the pad's name and whom it is open for, shortened until it fits the pad
            opened = [texts("demo_pad_open", coach=name) for name in name_variants(pad_open.coach)]
            labels = [f"{texts('demo_pad')} · {text}" for text in opened] + opened
        font, label = fit(labels, self.painter.fonts.ui, self.pad_rect.width - px(16), px(22), px(14))
        self._label(label, font, TABLE_INK, midbottom=(self.pad_rect.centerx, self.pad_rect.bottom - px(8)))
        badges = self._badge_rects()
        if badges:
            self._label(texts("demo_badges"), self._ui_font(20), TABLE_INK, topleft=(badges[0][1].x, self.pad_rect.y))
        for badge, rect in badges:
            if not (self.drag and self.drag.item == badge):
                self._draw_item(badge, rect.center, lifted=False)
        hand = self._hand_rects()
        if hand:
            self._label(
                texts("demo_hand"), self._ui_font(20), TABLE_INK, bottomleft=(hand[0][1].x, hand[0][1].y - px(2))
            )
        for card, rect in hand:
            self._draw_item(card, rect.center, lifted=False)
        self._label(
            texts("demo_hint"),
            self._ui_font(20),
            mix(TABLE_INK, TABLE, 0.3),
            bottomright=(self.table.right - px(24), self.table.bottom - px(4)),
        )

    def _ui_font(self, size: float) -> pygame.font.Font:
        return self.painter.fonts.ui(self._px(size))

    def _label(self, text: str, font: pygame.font.Font, color: Color, **anchor) -> None:
        image = font.render(text, True, color)
        self.window.blit(image, image.get_rect(**anchor))

    def _draw_item(self, item: DemoCard | DemoBadge, center: tuple[int, int], lifted: bool) -> None:
        scale = 1.25 if lifted else 1.0
        if isinstance(item, DemoBadge):
            radius = round(self.pad_rect.height * 0.31 * scale)
            pygame.draw.circle(self.window, mix(TABLE, (0, 0, 0), 0.4), (center[0] + 4, center[1] + 6), radius)
            pygame.draw.circle(self.window, (255, 255, 255), center, radius)
            pygame.draw.circle(self.window, tile_color(item.coach), center, radius - self._px(5))
            initials = self.painter.fonts.bold(round(radius * 0.8)).render(item.coach[:2], True, (255, 255, 255))
            self.window.blit(initials, initials.get_rect(center=center))
            if not lifted:
                self._label(
                    item.coach, self._ui_font(22), TABLE_INK, midtop=(center[0], center[1] + radius + self._px(4))
                )
            return
        side = round(self.pad_rect.height * 0.62 * scale)
        cell = Rect(0, 0, side * 2, side * 2)
        cell.center = center
        place = card_in(cell, side, slot_id=item.uid)
        face = self._faces.get((item.uid, side))
        if face is None:
            fonts = self.painter.fonts
            if item.name is None:
                face = polaroid_face(
                    place,
                    unknown_picture(place, item.uid, fonts),
                    [self.texts("demo_new_card")],
                    fonts.ui,
                    self._px(16),
                )
            else:
                face = polaroid_face(
                    place,
                    self.painter.photos.portrait(item.name, item.photo, side),
                    name_variants(item.name),
                    fonts.hand,
                    self._px(16),
                )
            self._faces[(item.uid, side)] = face
        pin_up(self.window, place, tilted(face, place.angle), PIN, self._px, glow=False)

    def _draw_taps(self) -> None:
        pulse = 0.5 + 0.5 * math.sin(self._ticks() * 12)
        for tap in self.taps:
            if tap.reader_id == self.pad_reader:
                ring = self.pad_rect.inflate(self._px(12), self._px(12))
            else:
                ring = self.painter.layout.card(tap.reader_id).frame.inflate(self._px(16), self._px(16))
            pygame.draw.rect(
                self.window, mix(PAD_OPEN, (255, 255, 255), pulse), ring, self._px(5), border_radius=self._px(12)
            )

    def _draw_help(self, texts: Texts) -> None:
        px, fonts = self._px, self.painter.fonts
        lines = texts("demo_help").split("|")
        body = fonts.ui(px(30))
        title = fonts.hand(px(56)).render(texts("demo_help_title"), True, INK)
        width = max(title.get_width(), *(body.size(line)[0] for line in lines)) + px(80)
        height = title.get_height() + len(lines) * body.get_linesize() + px(70)
        box = Rect(0, 0, width, height)
        box.center = self.screen.get_rect().center
        pygame.draw.rect(self.window, mix(INK, (0, 0, 0), 0.5), box.move(px(6), px(10)), border_radius=px(18))
        pygame.draw.rect(self.window, PAPER, box, border_radius=px(18))
        self.window.blit(title, (box.x + px(40), box.y + px(24)))
        y = box.y + px(34) + title.get_height()
        for index, line in enumerate(lines):
            color = INK if index < len(lines) - 2 else INK_SOFT  # the key list is quieter
            self.window.blit(body.render(line, True, color), (box.x + px(40), y))
            y += body.get_linesize()
