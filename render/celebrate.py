"""Short celebrations for an attempt or a move up, a big one for the goal.

Celebrations are drawn over the finished wall picture, never into it, so the
wall canvas stays clean and ending a celebration is one more present. Styles
rotate (sparkles, confetti) because the same effect every time wears off; with
reduced motion a celebration is a still banner for the same time.
"""

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pygame
from pygame import Rect

from board.core.events import EXPLAINED_REFUSALS, EventType, WallEvent
from board.core.i18n import Texts
from board.core.snapshot import Snapshot
from render.layout import Layout, banner_box
from render.text import TextBox, fit
from render.theme import CONFETTI, HIGHLIGHT, INK, INK_SOFT, MERCURY, PAPER, Color, Fonts, mix

GOLD: Color = (250, 190, 40)


class Kind(StrEnum):
    ATTEMPT = "attempt"
    MOVE_UP = "move_up"
    GOAL = "goal"
    REFUSED = "refused"  # an attempt that did not count: a kind word, never a party


DURATION = {Kind.ATTEMPT: 2.6, Kind.MOVE_UP: 3.0, Kind.GOAL: 6.0, Kind.REFUSED: 3.5}  # the short ones stay under 3 s
CALM: Color = (96, 128, 168)
GOAL_FULL_SCREEN = 3.2  # seconds the goal celebration has the whole screen


@dataclass(frozen=True)
class Cheer:
    """What to celebrate, decided when the event arrives."""

    kind: Kind
    title: str
    subtitle: str
    slot_id: str | None = None  # the card to celebrate around, if it hangs on the wall


def cheer_for(event: WallEvent, snapshot: Snapshot, texts: Texts) -> Cheer | None:
    """The celebration an event deserves, or None for events that get none."""
    name = event.details.get("person_name") or "?"
    if event.type is EventType.ATTEMPT_CONFIRMED:
        coach = event.details.get("coach_name") or "?"
        return Cheer(
            Kind.ATTEMPT,
            texts("celebrate_attempt", person=_first(name)),
            texts("celebrate_attempt_sub", coach=coach),
            _slot_of(snapshot, event.person_id),
        )
    if event.type is EventType.CARD_MOVED and event.details.get("level_change", 0) > 0:
        level = _level_name(snapshot, event.slot_id)
        return Cheer(
            Kind.MOVE_UP,
            texts("celebrate_up", person=_first(name)),
            texts("celebrate_up_sub", level=level) if level else "",
            event.slot_id,
        )
    if event.type is EventType.ATTEMPT_REJECTED and event.details.get("reason") in EXPLAINED_REFUSALS:
        reason = event.details["reason"]
        return Cheer(
            Kind.REFUSED,
            texts(f"refused.{reason}"),
            texts(f"refused.{reason}_sub", person=_first(name)),
            _slot_of(snapshot, event.person_id),
        )
    if event.type is EventType.GOAL_REACHED:
        period = snapshot.period
        count = event.details.get("count", period.count)
        period_name = texts.period_name(period.starts_at, period.ends_at)
        return Cheer(Kind.GOAL, texts("celebrate_goal"), texts("celebrate_goal_sub", count=count, period=period_name))
    return None


def _first(name: str) -> str:
    return name.split()[0] if name.split() else name


def _slot_of(snapshot: Snapshot, person_id: int | None) -> str | None:
    """Where the person hangs now, if on the wall: the celebration plays around that card."""
    return next(
        (
            slot.id
            for level in snapshot.levels
            for slot in level.slots
            if slot.person is not None and slot.person.id == person_id
        ),
        None,
    )


def _level_name(snapshot: Snapshot, slot_id: str | None) -> str | None:
    return next((level.name for level in snapshot.levels if any(slot.id == slot_id for slot in level.slots)), None)


@dataclass
class _Particle:
    angle: float
    speed: float
    color: Color
    size: float
    spin: float
    delay: float
    x: float = 0.0  # where it starts, for falling confetti


@dataclass
class Celebration:
    """One playing celebration; `draw` is a pure function of the time since it started."""

    cheer: Cheer
    started: float  # monotonic seconds
    still: bool  # reduced motion: a banner, no movement
    style: int  # rotates the short celebrations' look
    seed: int = 0
    particles: list[_Particle] = field(default_factory=list)

    def __post_init__(self):
        rng = random.Random(self.seed)
        count = {Kind.ATTEMPT: 40, Kind.MOVE_UP: 22, Kind.GOAL: 220, Kind.REFUSED: 0}[self.cheer.kind]
        self.particles = [
            _Particle(
                angle=rng.uniform(0, math.tau),
                speed=rng.uniform(0.45, 1.0),
                color=rng.choice(CONFETTI),
                size=rng.uniform(0.6, 1.2),
                spin=rng.uniform(-6, 6),
                delay=rng.uniform(0, 0.35 if self.cheer.kind != Kind.GOAL else 3.0),
                x=rng.random(),
            )
            for _ in range(count)
        ]

    @property
    def duration(self) -> float:
        return DURATION[self.cheer.kind]

    def done(self, now: float) -> bool:
        return now - self.started >= self.duration

    def draw(
        self,
        surface: pygame.Surface,
        now: float,
        layout: Layout,
        fonts: Fonts,
        offset: tuple[int, int],
        restore: Callable[[Rect], None] | None = None,
        text_areas: Sequence[Rect] = (),
    ) -> None:
        """Draw over the finished wall picture; confetti stays behind the texts at `text_areas`,
        which `restore` copies back from the picture."""
        t = min(self.duration, max(0.0, now - self.started))
        target = self.target(layout)
        if target is not None:
            target = target.move(offset)
        if self.takes_screen(t):
            self._veil(surface, t, layout)
            if not self.still:
                self._confetti_rain(surface, t, layout)
        elif not self.still and target is not None and self.cheer.kind is not Kind.GOAL:
            self._burst(surface, t, target, layout)
            if restore is not None:  # the confetti flew under the names and numbers
                for area in text_areas:
                    restore(area)
        if target is not None and self.cheer.kind is Kind.REFUSED:
            pygame.draw.rect(
                surface, CALM, target.inflate(layout.px(14), layout.px(14)), layout.px(4), border_radius=layout.px(10)
            )
        elif target is not None and self.cheer.kind is not Kind.GOAL:
            pulse = 1.0 if self.still else 0.5 + 0.5 * math.sin(t * 7)
            pygame.draw.rect(
                surface,
                mix(HIGHLIGHT, GOLD, pulse),
                target.inflate(layout.px(18), layout.px(18)),
                layout.px(6),
                border_radius=layout.px(10),
            )
        self._banner(surface, t, layout, fonts, offset)

    def target(self, layout: Layout) -> Rect | None:
        """The celebrated card's cell, if it hangs on the wall."""
        if not self.cheer.slot_id:
            return None
        try:
            return layout.card(self.cheer.slot_id).frame
        except KeyError:
            return None

    def takes_screen(self, t: float) -> bool:
        """The goal has the whole screen for its first seconds; then the wall comes back."""
        return self.cheer.kind is Kind.GOAL and t < GOAL_FULL_SCREEN

    # ------------------------------------------------------------ pieces

    def banner(self, layout: Layout, fonts: Fonts, t: float) -> tuple[Rect, list[tuple[pygame.Surface, TextBox]]]:
        """The banner's resting box at `t` and its lines, each fitted to the banner's width."""
        px = layout.px
        big = self.takes_screen(t)
        inner_limit = (layout.size[0] - 2 * px(90)) if big else (layout.wall.width - 2 * px(24) - px(90))
        title_face, title = fit([self.cheer.title], fonts.hand, inner_limit, px(120 if big else 64), px(40))
        lines = [(title_face.render(title, True, MERCURY if self.cheer.kind is Kind.GOAL else INK), title)]
        if self.cheer.subtitle:
            sub_face, sub = fit([self.cheer.subtitle], fonts.ui, inner_limit, px(44 if big else 32), px(24))
            lines.append((sub_face.render(sub, True, INK_SOFT), sub))
        width = max(image.get_width() for image, _ in lines) + px(90)
        height = sum(image.get_height() for image, _ in lines) + px(40)
        if big:
            box = Rect(0, 0, width, height)
            box.center = (layout.size[0] // 2, layout.size[1] // 2)
        else:
            box = banner_box(layout, (width, height), self.target(layout))
        placed, y = [], box.y + px(14)
        for image, text in lines:
            drawn = image.get_rect(midtop=(box.centerx, y))
            placed.append((image, TextBox(text, box, drawn)))
            y += image.get_height()
        return box, placed

    def _veil(self, surface, t: float, layout: Layout) -> None:
        """Paper over the whole screen, fading in and out, for the goal's first seconds."""
        fade = min(1.0, t / 0.3, max(0.0, (GOAL_FULL_SCREEN - t) / 0.4))
        veil = pygame.Surface(surface.get_size())
        veil.fill(mix(PAPER, GOLD, 0.15))
        veil.set_alpha(round(235 * fade))
        surface.blit(veil, (0, 0))

    def _banner(self, surface, t: float, layout: Layout, fonts: Fonts, offset) -> None:
        """A paper banner, kept away from the thermometer, the list and the card it celebrates."""
        px = layout.px
        box, lines = self.banner(layout, fonts, t)
        shift = (offset[0], offset[1])
        if not self.still and not self.takes_screen(t):  # slide in from the nearest edge, and out again
            start = GOAL_FULL_SCREEN if self.cheer.kind is Kind.GOAL else 0.0
            enter = _ease_out(min(1.0, (t - start) / 0.35))
            leave = _ease_in(max(0.0, (t - (self.duration - 0.35)) / 0.35))
            from_below = box.centery > layout.wall.centery
            hidden_y = layout.size[1] + px(20) if from_below else -box.height - px(20)
            shift = (offset[0], offset[1] + round((hidden_y - box.y) * (1 - (enter - leave))))
        box = box.move(shift)
        big = self.cheer.kind is Kind.GOAL
        pygame.draw.rect(surface, mix(INK, (0, 0, 0), 0.5), box.move(px(5), px(8)), border_radius=px(18))
        pygame.draw.rect(surface, PAPER, box, border_radius=px(18))
        border = CALM if self.cheer.kind is Kind.REFUSED else GOLD if big else MERCURY
        pygame.draw.rect(surface, border, box, px(5), border_radius=px(18))
        for image, text_box in lines:
            surface.blit(image, text_box.drawn.move(shift))

    def _burst(self, surface, t: float, target: Rect, layout: Layout) -> None:
        reach = layout.px(320)
        center = target.center
        for particle in self.particles:
            local = t - particle.delay
            if local <= 0:
                continue
            share = _ease_out(min(1.0, local / (self.duration * 0.7)))
            if self.cheer.kind is Kind.MOVE_UP:  # everything rises: this person went up
                x = center[0] + math.cos(particle.angle) * reach * 0.4 * (0.3 + share)
                y = center[1] + math.sin(particle.angle) * target.height * 0.3 - reach * 0.7 * share * particle.speed
            else:
                x = center[0] + math.cos(particle.angle) * reach * share * particle.speed
                y = center[1] + math.sin(particle.angle) * reach * share * particle.speed + layout.px(200) * share**2
            fade = 1 - max(0.0, (local - self.duration * 0.6) / (self.duration * 0.4))
            size = layout.px(22) * particle.size * max(0.0, fade)
            if size < 1:
                continue
            if self.cheer.kind is Kind.MOVE_UP or self.style % 2 == 0:
                _star(
                    surface,
                    GOLD if self.cheer.kind is Kind.MOVE_UP else particle.color,
                    (x, y),
                    size,
                    local * particle.spin,
                )
            else:
                _confetto(surface, particle.color, (x, y), size, local * particle.spin)

    def _confetti_rain(self, surface, t: float, layout: Layout) -> None:
        width, height = layout.size
        for particle in self.particles:
            local = t - particle.delay
            if local <= 0:
                continue
            y = -layout.px(30) + local * height * 0.38 * (0.7 + particle.speed)
            if y > height + layout.px(30):
                continue
            x = particle.x * width + math.sin(local * 2.2 + particle.angle) * layout.px(40)
            _confetto(surface, particle.color, (x, y), layout.px(18) * particle.size, local * particle.spin)


def _ease_out(share: float) -> float:
    return 1 - (1 - share) ** 3


def _ease_in(share: float) -> float:
    return share**3


def _confetto(surface, color: Color, center: tuple[float, float], size: float, angle: float) -> None:
    """A paper snippet: a rectangle seen turning (its width shrinks and grows)."""
    half_w = size * 0.5 * abs(math.cos(angle * 0.7)) + 1
    half_h = size * 0.3
    cos, sin = math.cos(angle), math.sin(angle)
    points = [
        (center[0] + dx * cos - dy * sin, center[1] + dx * sin + dy * cos)
        for dx, dy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))
    ]
    pygame.draw.polygon(surface, color, points)


def _star(surface, color: Color, center: tuple[float, float], size: float, angle: float) -> None:
    points = []
    for corner in range(10):
        radius = size if corner % 2 == 0 else size * 0.45
        theta = angle + corner * math.pi / 5
        points.append((center[0] + radius * math.sin(theta), center[1] - radius * math.cos(theta)))
    pygame.draw.polygon(surface, color, points)
    pygame.draw.polygon(surface, mix(color, INK, 0.3), points, 1)
