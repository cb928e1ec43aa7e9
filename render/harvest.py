"""The harvest on the screen: last period's look back, for the first hours of a new one.

The final level of the thermometer, the awards with the winners' photos and a
plain sentence each, who climbed, and the wall at the start next to the wall
at the end, with the cards that moved marked. Drawn once per harvest.
"""

import pygame
from pygame import Rect

from board.core.harvest import Award, Harvest
from board.core.i18n import Texts
from board.core.settings import AwardKind
from render.photos import PhotoCache
from render.scene import Backdrop
from render.text import ellipsize, wrap
from render.theme import (
    CORK,
    CORK_DARK,
    GLASS,
    HIGHLIGHT,
    INK,
    INK_SOFT,
    MERCURY,
    PAPER,
    POLAROID,
    STICKY,
    Fonts,
    band_color,
    mix,
)

MAX_PORTRAITS = 3  # a shared award shows this many faces, then "+n"
GOOD_NEWS = (46, 140, 80)


class HarvestPainter:
    """Draws the harvest into the backdrop, the full-screen layer it shares with the wall's background."""

    def __init__(
        self,
        size: tuple[int, int],
        fonts: Fonts | None = None,
        photos: PhotoCache | None = None,
        backdrop: Backdrop | None = None,
    ):
        self.size = size
        self.fonts = fonts or Fonts()
        self.photos = photos or PhotoCache(self.fonts)
        self.backdrop = backdrop or Backdrop(size)
        self.portrait_screen = size[1] > size[0]
        self.scale = (size[0] if self.portrait_screen else size[1]) / 1080
        self._painted: Harvest | None = None

    def px(self, value: float) -> int:
        return max(1, round(value * self.scale))

    @property
    def canvas(self) -> pygame.Surface:
        return self.backdrop.surface

    def paint(self, harvest: Harvest) -> list[Rect]:
        """Draw `harvest` unless it is in the backdrop already; return what changed (all or nothing)."""
        if not self.backdrop.claim(("harvest", id(harvest))) and harvest is self._painted:
            return []
        self._painted = harvest  # held, so no other harvest gets its id while it is in the backdrop
        texts = Texts(harvest.language)
        width, height = self.size
        px = self.px
        self.canvas.fill(CORK)
        header = Rect(0, 0, width, px(150))
        self._header(header, harvest, texts)
        body = Rect(px(30), header.bottom + px(24), width - px(60), height - header.bottom - px(54))
        if self.portrait_screen:
            totals = Rect(body.x, body.y, body.width, px(230))
            awards = Rect(body.x, totals.bottom + px(24), body.width, round(body.height * 0.50))
            lower = Rect(body.x, awards.bottom + px(24), body.width, body.bottom - awards.bottom - px(24))
            climbers = Rect(lower.x, lower.y, round(lower.width * 0.40), lower.height)
            walls = Rect(climbers.right + px(24), lower.y, lower.right - climbers.right - px(24), lower.height)
        else:
            totals = Rect(body.x, body.y, round(body.width * 0.18), body.height)
            awards = Rect(totals.right + px(24), body.y, round(body.width * 0.50), body.height)
            right = Rect(awards.right + px(24), body.y, body.right - awards.right - px(24), body.height)
            climbers = Rect(right.x, right.y, right.width, round(right.height * 0.38))
            walls = Rect(right.x, climbers.bottom + px(20), right.width, right.bottom - climbers.bottom - px(20))
        self._totals(totals, harvest, texts)
        self._awards(awards, [a for a in harvest.awards if a.kind is not AwardKind.TEAM], harvest, texts)
        self._climbers(climbers, harvest, texts)
        self._walls(walls, harvest, texts)
        return [Rect((0, 0), self.size)]

    def draw(self, target: pygame.Surface, area: Rect, offset: tuple[int, int] = (0, 0)) -> None:
        """Copy `area` of the harvest onto `target`, moved by `offset`."""
        target.blit(self.backdrop.surface, area.move(offset), area)

    # -- parts -------------------------------------------------------------------------

    def _paper(self, area: Rect, color=PAPER) -> None:
        px = self.px
        pygame.draw.rect(self.canvas, CORK_DARK, area.move(px(4), px(6)), border_radius=px(10))
        pygame.draw.rect(self.canvas, color, area, border_radius=px(10))

    def _text(self, font, text: str, color, x: int, y: int) -> int:
        self.canvas.blit(font.render(text, True, color), (x, y))
        return y + font.get_linesize()

    def _header(self, area: Rect, harvest: Harvest, texts: Texts) -> None:
        px = self.px
        pygame.draw.rect(self.canvas, PAPER, area)
        pygame.draw.line(self.canvas, CORK_DARK, area.bottomleft, area.bottomright, px(4))
        title = self.fonts.hand(px(80)).render(texts("harvest.title"), True, INK)
        self.canvas.blit(title, title.get_rect(midleft=(px(40), area.centery)))
        first, last = harvest.per_day[0][0], harvest.per_day[-1][0]
        when = texts("harvest.span", start=texts.short_date(first), end=texts.short_date(last))
        label = self.fonts.ui(px(34)).render(when, True, INK_SOFT)
        self.canvas.blit(label, label.get_rect(midright=(area.right - px(40), area.centery)))

    def _totals(self, area: Rect, harvest: Harvest, texts: Texts) -> None:
        """The thermometer as it ended, with the team's sentence."""
        px = self.px
        self._paper(area)
        inner = area.inflate(-px(40), -px(40))
        team = next((a for a in harvest.awards if a.kind is AwardKind.TEAM), None)
        big = self.fonts.bold(px(120)).render(str(harvest.count), True, MERCURY)
        self.canvas.blit(big, inner.topleft)
        y = inner.y + big.get_height()
        goal = harvest.span.goal
        y = self._text(
            self.fonts.bold(px(30)), texts("of_goal", goal=goal) if goal else texts("report.attempts"), INK, inner.x, y
        )
        if self.portrait_screen:
            tube = Rect(inner.x + px(300), inner.y + px(30), inner.right - inner.x - px(420), px(56))
            fill = Rect(tube.x, tube.y, round(tube.width * harvest.fraction), tube.height)
            text_area = Rect(tube.x, tube.bottom + px(20), tube.width, inner.bottom - tube.bottom - px(20))
        else:
            tube = Rect(inner.centerx - px(28), y + px(30), px(56), inner.bottom - y - px(300))
            fill_height = round(tube.height * harvest.fraction)
            fill = Rect(tube.x, tube.bottom - fill_height, tube.width, fill_height)
            text_area = Rect(inner.x, tube.bottom + px(30), inner.width, inner.bottom - tube.bottom - px(30))
        pygame.draw.rect(self.canvas, mix(INK, PAPER, 0.2), tube.inflate(px(8), px(8)), border_radius=px(30))
        pygame.draw.rect(self.canvas, GLASS, tube, border_radius=px(26))
        if fill.width and fill.height:
            pygame.draw.rect(self.canvas, MERCURY, fill, border_radius=px(26))
        percent = self.fonts.bold(px(34)).render(f"{round(100 * harvest.fraction)} %", True, INK)
        self.canvas.blit(
            percent,
            percent.get_rect(midtop=(tube.centerx, tube.bottom + px(8)))
            if not self.portrait_screen
            else percent.get_rect(midleft=(tube.right + px(12), tube.centery)),
        )
        if team is not None:
            y = text_area.y + (px(40) if not self.portrait_screen else 0)
            for row in wrap(team.line, self.fonts.ui(px(28)), text_area.width)[:5]:
                y = self._text(self.fonts.ui(px(28)), row, INK, text_area.x, y)

    def _awards(self, area: Rect, awards: list[Award], harvest: Harvest, texts: Texts) -> None:
        px = self.px
        if not awards:
            self._paper(area)
            self._text(self.fonts.ui(px(34)), texts("report.no_awards"), INK_SOFT, area.x + px(30), area.y + px(30))
            return
        columns = 2
        rows = max(1, -(-len(awards) // columns))
        gap = px(20)
        card_w = (area.width - gap * (columns - 1)) // columns
        card_h = min(px(300), (area.height - gap * (rows - 1)) // rows)
        for index, award in enumerate(awards):
            column, row = index % columns, index // columns
            card = Rect(area.x + column * (card_w + gap), area.y + row * (card_h + gap), card_w, card_h)
            self._award(card, award, harvest)

    def _award(self, card: Rect, award: Award, harvest: Harvest) -> None:
        """Title on top; the winners' photos, then the sentence beside them."""
        px = self.px
        self._paper(card, STICKY if award.kind is AwardKind.CLIMBER else POLAROID)
        title_font = self.fonts.hand(px(44))
        self._text(
            title_font, ellipsize(award.title, title_font, card.width - px(40)), INK, card.x + px(20), card.y + px(12)
        )
        content = Rect(card.x + px(20), card.y + px(16) + title_font.get_linesize(), card.width - px(40), 0)
        content.height = card.bottom - content.y - px(16)
        shown = award.winners[:MAX_PORTRAITS]
        gap = px(10)
        line_font = self.fonts.ui(px(26))
        under = len(shown) > 1  # several faces: the sentence goes under them, with the card's full width
        room = content.height - px(12) - (round(2.2 * line_font.get_linesize()) + px(12) if under else 0)
        across = int(content.width * (1 if under else 0.5) - px(50)) // max(1, len(shown)) - gap - px(12)
        side = max(px(24), min(room, px(140), across))
        x = content.x
        for winner in shown:
            # Coaches are no people on the wall: their tile has initials, never someone's photo.
            photo = None if award.kind is AwardKind.COACH else harvest.photos.get(winner.id)
            frame = Rect(x, content.y, side + px(12), side + px(12))
            pygame.draw.rect(self.canvas, POLAROID, frame)
            pygame.draw.rect(self.canvas, mix(POLAROID, INK, 0.2), frame, px(2))
            self.canvas.blit(self.photos.portrait(winner.name, photo, side), (x + px(6), content.y + px(6)))
            x = frame.right + gap
        if len(award.winners) > MAX_PORTRAITS:
            more = self.fonts.bold(px(30)).render(f"+{len(award.winners) - MAX_PORTRAITS}", True, INK_SOFT)
            self.canvas.blit(more, (x, content.y + side // 2 - more.get_height() // 2))
            x += more.get_width() + gap
        text_x, y = (content.x, content.y + side + px(20)) if under else (x + px(8), content.y)
        for row in wrap(award.line, line_font, content.right - text_x)[:5]:
            if y + line_font.get_linesize() > content.bottom:
                break
            y = self._text(line_font, row, INK, text_x, y)

    def _climbers(self, area: Rect, harvest: Harvest, texts: Texts) -> None:
        px = self.px
        self._paper(area)
        inner = area.inflate(-px(36), -px(30))
        y = self._text(self.fonts.hand(px(44)), texts("harvest.climbed"), INK, inner.x, inner.y) + px(4)
        climbed = sorted((row for row in harvest.people if row.climbed > 0), key=lambda row: (-row.climbed, row.name))
        font, small = self.fonts.bold(px(28)), self.fonts.ui(px(22))
        if not climbed:
            self._text(self.fonts.ui(px(26)), texts("harvest.nobody_climbed"), INK_SOFT, inner.x, y)
            return
        for index, row in enumerate(climbed):
            if y + font.get_linesize() + small.get_linesize() > inner.bottom:
                more = font.render(f"+{len(climbed) - index}", True, INK_SOFT)
                self.canvas.blit(more, (inner.right - more.get_width(), inner.y))
                return
            arrow_x, arrow_y = inner.x + px(10), y + font.get_linesize() // 2
            pygame.draw.polygon(
                self.canvas,
                GOOD_NEWS,
                [(arrow_x, arrow_y - px(11)), (arrow_x - px(10), arrow_y + px(7)), (arrow_x + px(10), arrow_y + px(7))],
            )
            y = self._text(font, ellipsize(row.name, font, inner.width - px(30)), INK, inner.x + px(30), y)
            levels = texts(
                "harvest.from_to", start=harvest.level_names[row.start_level], end=harvest.level_names[row.end_level]
            )
            y = self._text(small, ellipsize(levels, small, inner.width - px(30)), INK_SOFT, inner.x + px(30), y)

    def _walls(self, area: Rect, harvest: Harvest, texts: Texts) -> None:
        """The wall at the start and at the end; cards that moved are marked."""
        px = self.px
        self._paper(area)
        inner = area.inflate(-px(30), -px(24))
        half = (inner.height - px(10)) // 2
        for index, (label, wall) in enumerate(
            ((texts("harvest.before"), harvest.wall_before), (texts("harvest.after"), harvest.wall_after))
        ):
            box = Rect(inner.x, inner.y + index * (half + px(10)), inner.width, half)
            y = self._text(self.fonts.hand(px(36)), label, INK, box.x, box.y)
            self._mini_wall(Rect(box.x, y, box.width, box.bottom - y), wall, harvest)

    def _mini_wall(self, area: Rect, wall: dict[str, int], harvest: Harvest) -> None:
        px = self.px
        levels = harvest.level_slots
        count = len(levels)
        widest = max(len(slots) for slots in levels)
        row_h = area.height // count
        cell = min(row_h - px(8), (area.width - px(10)) // widest - px(6))
        moved = harvest.moved
        for row, slots in enumerate(reversed(levels)):  # the top level on top, as on the wall
            y = area.y + row * row_h
            strip = Rect(area.x, y, area.width, row_h - px(4))
            pygame.draw.rect(self.canvas, band_color(count - 1 - row, count), strip, border_radius=px(4))
            for column, slot in enumerate(slots):
                x = area.x + px(6) + column * (cell + px(6))
                spot = Rect(x, y + (row_h - px(4) - cell) // 2, cell, cell)
                person = wall.get(slot)
                if person is None:
                    pygame.draw.rect(self.canvas, mix(PAPER, INK, 0.15), spot, px(1))
                    continue
                name = harvest.name_of(person)
                self.canvas.blit(self.photos.portrait(name, harvest.photos.get(person), cell), spot)
                if person in moved:
                    pygame.draw.rect(self.canvas, HIGHLIGHT, spot.inflate(px(6), px(6)), px(4))
