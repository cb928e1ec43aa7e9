"""The wall's screen: a board listener that hands over, and a loop that draws on change.

The service calls `on_snapshot` / `on_event` on its own thread; they only store
what arrived and wake the loop. The loop blocks on that wake-up or on the next
tick (an animation frame, or an idle check of the clock for the night schedule,
burn-in shift and the 24-hour glow) and presents a frame only when something
visible changed. A frame copies onto the screen only the areas that changed
(a moved card, the panel) from the painter's parts; while a celebration or a
journey plays over the wall, or the burn-in guard moves the picture, it copies
the whole picture, which the parts make a few milliseconds' work.

Why not `pygame.event.wait(timeout)`? pygame 2 implements it as a 1 ms polling
loop, which cost 4 % of a core while idle here (docs/screen.md); waiting on a
threading.Event and pumping input once per tick costs well under 0.1 %.
"""

import ctypes
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

import pygame

from board.core.closeable import Closeable
from board.core.events import WallEvent
from board.core.i18n import Texts
from board.core.snapshot import Snapshot
from render.celebrate import Celebration, Cheer, Kind, cheer_for
from render.config import DisplayConfig, NightMode
from render.harvest import HarvestPainter
from render.journey import draw_journey
from render.scene import Backdrop, WallPainter
from render.screen import Screen, SdlScreen, open_wall_screen
from render.sun import sun_height
from render.theme import CORK
from render.tv import CecTv

log = logging.getLogger(__name__)


def return_freed_memory() -> None:
    """Hand back to the system what a full redraw freed (its big temporary pictures).

    glibc keeps freed blocks for reuse, ~3 MB after the wall's first frame at 1920×1080;
    on a Pi every MB counts. malloc_trim is glibc's: elsewhere there is nothing to do.
    """
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


# The burn-in guard walks the picture around a small square, one step every N minutes.
_SHIFT_PATTERN = ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
_MAX_WAITING_CHEERS = 3  # a burst of pad taps must not queue a minute of banners
_TURN_ROWS = 256  # a portrait frame is turned onto the screen in bands this tall


def turned(screen: pygame.Surface, frame: pygame.Surface, area: pygame.Rect) -> pygame.Rect:
    """Copy `area` of the upright `frame` onto the `screen` hung turned clockwise, a band of rows at a
    time (no full-screen copy in between); return where it went on the screen."""
    width = frame.get_width()
    for top in range(area.top, area.bottom, _TURN_ROWS):
        band = pygame.Rect(area.x, top, area.width, min(_TURN_ROWS, area.bottom - top))
        screen.blit(pygame.transform.rotate(frame.subsurface(band), 90), (band.y, width - band.right))
    return pygame.Rect(area.y, width - area.right, area.height, area.width)


def shift_offset(now: datetime, minutes: int, pixels: int) -> tuple[int, int]:
    """Where the burn-in guard has moved the picture to at `now`."""
    if pixels == 0:
        return (0, 0)
    step = int(now.timestamp() // (minutes * 60)) % len(_SHIFT_PATTERN)
    dx, dy = _SHIFT_PATTERN[step]
    return (dx * pixels, dy * pixels)


class WallDisplay(Closeable):
    """The screen of the wall. A BoardListener; all drawing happens in `run`/`step`."""

    def __init__(
        self,
        config: DisplayConfig,
        *,
        clock: Callable[[], datetime],
        ticks: Callable[[], float] = time.monotonic,
        tv: CecTv | None = None,
    ):
        """`clock` is the wall's own (its configured timezone), never the OS's: the
        night schedule and the date on screen follow the wall, wherever the Pi thinks it is.
        `tv`, if given, is put in standby for a black night and switched on after it."""
        self.tv = tv
        self._tv_on: bool | None = None
        self.config = config
        self._clock = clock
        self._ticks = ticks
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._arrived_snapshot: Snapshot | None = None
        self._arrived_events: deque[WallEvent] = deque(maxlen=50)
        self.snapshot: Snapshot | None = None
        self.output: Screen | None = None
        self.screen: pygame.Surface | None = None  # the output's surface
        self.painter: WallPainter | None = None
        self.backdrop: Backdrop | None = None
        self._frame: pygame.Surface | None = None
        self._waiting: deque[Cheer] = deque()
        self.celebration: Celebration | None = None
        self._cheers_started = 0
        self._presented: tuple | None = None
        self.frames_presented = 0
        self._drawings_trimmed = 0  # the backdrop's drawings after which freed memory went back

    # ------------------------------------------------ listener side (service thread)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._arrived_snapshot = snapshot
        self._wake.set()

    def on_event(self, event: WallEvent) -> None:
        with self._lock:
            self._arrived_events.append(event)
        self._wake.set()

    # ------------------------------------------------ loop side

    @property
    def view_size(self) -> tuple[int, int]:
        """The upright picture's size: the screen's, turned for a portrait screen."""
        width, height = self.screen.get_size()
        return (height, width) if self.config.portrait else (width, height)

    def open(self, screen: Screen | pygame.Surface | None = None) -> "WallDisplay":
        """Open the wall's screen (KMSDRM, else /dev/fb0), or draw on `screen`: a Screen, or a surface SDL shows."""
        if screen is None:
            screen = open_wall_screen(self.config)
        self.output = screen if isinstance(screen, Screen) else SdlScreen(screen, "given")
        self.screen = self.output.surface
        self.backdrop = Backdrop(self.view_size)
        self.painter = self._new_painter()
        self.harvest_painter = HarvestPainter(self.view_size, self.painter.fonts, self.painter.photos, self.backdrop)
        self._frame = self.screen if not self.config.portrait else pygame.Surface(self.view_size).convert()
        return self

    def run(self) -> None:
        """Draw until `stop()` is called or the window is closed (Esc, q)."""
        if self.screen is None:
            self.open()
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                self._show_fallback()
            self._wake.wait(self.next_wait())
            self._wake.clear()

    def stop(self) -> None:
        """Ask the loop to end; safe from any thread."""
        self._stop.set()
        self._wake.set()

    def next_wait(self) -> float:
        """Seconds until the loop has something to do unless woken earlier."""
        if self.celebration is not None:
            if not self.celebration.still:
                return 1 / self.config.animation_fps
            left = self.celebration.started + self.celebration.duration - self._ticks()
            return max(0.0, min(left, self.config.idle_tick_seconds))
        return self.config.idle_tick_seconds

    def step(self) -> bool:
        """Take what arrived, and present a frame if anything visible changed."""
        with self._lock:
            arrived, self._arrived_snapshot = self._arrived_snapshot, None
            events = list(self._arrived_events)
            self._arrived_events.clear()
        if arrived is not None:
            self.snapshot = arrived
        for event in pygame.event.get():
            self.handle_input(event)
        if self.snapshot is None:
            return False
        now, tick = self._clock(), self._ticks()
        night = self.night_mode(now)
        self._power_tv(night != "black")
        harvest = self.snapshot.harvest
        if harvest is not None:
            dirty = self.harvest_painter.paint(harvest)
        else:
            dirty = self.painter.paint(self.snapshot, now, sun=self.sun_height())
        if night is None:
            texts = Texts(self.snapshot.language)
            for event in events:
                self._queue(cheer_for(event, self.snapshot, texts))
        else:
            self._waiting.clear()
            self.celebration = None
        self._advance_celebrations(tick)
        offset = shift_offset(now, self.config.burn_in_shift_minutes, self.config.burn_in_shift_pixels)
        # The celebration's number, not its id(): a new one may take the address of the one just ended.
        showing = self._cheers_started if self.celebration is not None else None
        key = (night, offset, showing, harvest is not None, self.snapshot.journey)
        animating = self.celebration is not None and not self.celebration.still
        wanted = self.needs_frame()
        if not dirty and key == self._presented and not animating and not wanted:
            return False
        over_the_wall = self.celebration is not None or self.snapshot.journey is not None
        whole = key != self._presented or over_the_wall or wanted
        self._present(night, offset, tick, None if whole else dirty)
        self._presented = key
        if self.backdrop.drawings != self._drawings_trimmed:
            self._drawings_trimmed = self.backdrop.drawings
            return_freed_memory()
        return True

    def _show_fallback(self) -> None:
        """One frame failed: show plain cork instead of a half-drawn wall, and start the
        next frame from a fresh painter, so the wall keeps running and recovers with
        the next snapshot."""
        log.exception("drawing a frame failed; showing a plain frame and carrying on")
        self.backdrop.owner = None  # it may hold half a picture
        self.painter = self._new_painter()
        self.celebration = None
        self._presented = None
        self._frame.fill(CORK)
        self.show(self._frame)

    def _new_painter(self) -> WallPainter:
        return WallPainter(
            self.view_size,
            highlight=timedelta(hours=self.config.highlight_hours),
            sun=self.config.sun,
            backdrop=self.backdrop,
        )

    def _power_tv(self, on: bool) -> None:
        """Switch the TV when the night turns black or ends; a start at night puts it in standby too."""
        if self.tv is not None and on != self._tv_on and (self._tv_on is not None or not on):
            self.tv.switch(on)
        self._tv_on = on

    def sun_height(self) -> float | None:
        """How far the sun has risen (0..1), or None without a sun."""
        if not self.config.sun or self.snapshot is None:
            return None
        return sun_height(self.snapshot, self.config.sun_follows)

    def forget_screen(self) -> None:
        """The next frame copies the whole picture (something else drew on the screen)."""
        self._presented = None

    def needs_frame(self) -> bool:
        """Whether something drawn over the wall changed (the demo's table, a dragged card)."""
        return False

    def night_mode(self, now: datetime) -> NightMode | None:
        return self.config.schedule.mode_at(now)

    def handle_input(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)):
            self.stop()

    def save_png(self, path) -> None:
        """Save the last presented picture, upright."""
        pygame.image.save(self._frame, str(path))

    def close(self) -> None:
        """Release the screen; safe to call twice."""
        self.stop()
        if self.output is not None:
            self.output.close()
            self.output = self.screen = None

    # ------------------------------------------------ internals

    def _queue(self, cheer: Cheer | None) -> None:
        if cheer is None:
            return
        if cheer.kind is Kind.GOAL:  # the big one goes first
            self._waiting.appendleft(cheer)
        elif len(self._waiting) < _MAX_WAITING_CHEERS:
            self._waiting.append(cheer)

    def _advance_celebrations(self, tick: float) -> None:
        if self.celebration is not None and self.celebration.done(tick):
            self.celebration = None
        if self.celebration is None and self._waiting:
            self._cheers_started += 1
            self.celebration = Celebration(
                self._waiting.popleft(),
                started=tick,
                still=self.config.reduced_motion,
                style=self._cheers_started,
                seed=self._cheers_started,
            )

    def _present(
        self, night: NightMode | None, offset: tuple[int, int], tick: float, areas: list[pygame.Rect] | None
    ) -> None:
        """Bring the picture on the screen up to date: the `areas` that changed, or all of it (None)."""
        frame = self._frame
        view = self.harvest_painter if self.snapshot.harvest is not None else self.painter
        if night == "black":
            frame.fill((0, 0, 0))
            areas = None
        elif areas is None:
            if offset != (0, 0):
                frame.fill(CORK)
            view.draw(frame, frame.get_rect(), offset)
        else:
            for area in areas:
                view.draw(frame, area, offset)
        on_screen = None if areas is None else [area.move(offset).clip(frame.get_rect()) for area in areas]
        if night != "black":
            if self.snapshot.journey is not None:
                draw_journey(
                    frame,
                    self.snapshot.journey,
                    self.painter.fonts,
                    self.painter.photos,
                    self.painter.layout.px,
                    offset,
                )
            if self.celebration is not None:
                self.celebration.draw(
                    frame,
                    tick,
                    self.painter.layout,
                    self.painter.fonts,
                    offset,
                    lambda area: view.draw(frame, area, offset),
                    self.painter.text_areas(),
                )
            if night == "dim":
                level = round(255 * self.config.dim_brightness)
                for area in on_screen or [frame.get_rect()]:
                    frame.fill((level, level, level), area, special_flags=pygame.BLEND_RGB_MULT)
        self.show(frame, on_screen)
        self.frames_presented += 1

    def show(self, frame: pygame.Surface, areas: list[pygame.Rect] | None = None) -> None:
        """Put the composed picture's `areas` (None: all of it) on the screen, turned back for a
        screen hung turned clockwise."""
        if self.config.portrait:
            areas = [turned(self.screen, frame, area) for area in areas or [frame.get_rect()]]
        self.output.present(areas)
