"""Opening the wall's screen: SDL's KMSDRM on a Pi console, or /dev/fb0 when KMSDRM cannot be opened.

Raspberry Pi OS Lite has no desktop, and Bookworm's SDL 2 has no fbcon/directfb
driver: KMSDRM is the way onto the screen, so it must be compiled into the SDL that
pygame loads (`sdl_video_drivers()` asks that SDL; docs/screen.md says why the
project uses pygame-ce). KMSDRM can still fail at run time: another program is DRM
master, or the TV was switched on after boot. Then the wall draws with the same
renderer into an off-screen surface and copies each frame into the Linux framebuffer
(`FramebufferScreen`), rather than running blind. Which one draws is logged.
"""

import ctypes
import grp
import logging
import mmap
import os
import re
import sys
from glob import glob
from pathlib import Path

import pygame

from board.core.closeable import Closeable
from board.core.errors import WallboardError
from render.config import DisplayConfig

log = logging.getLogger(__name__)

FRAMEBUFFER = Path("/dev/fb0")
FRAMEBUFFER_SYSFS = Path("/sys/class/graphics/fb0")
_SDL_LIBRARY = re.compile(r"/libSDL2-2[.-][^/]*$")
# Pixel layouts of the Linux framebuffer by depth (little-endian: XRGB8888, RGB888, RGB565).
_FRAMEBUFFER_MASKS = {
    32: (0xFF0000, 0x00FF00, 0x0000FF, 0),
    24: (0xFF0000, 0x00FF00, 0x0000FF, 0),
    16: (0xF800, 0x07E0, 0x001F, 0),
}


class DisplayError(WallboardError, RuntimeError):
    """The screen could not be opened; the message says what to check."""


# ------------------------------------------------------------------ which SDL


def loaded_sdl_library() -> Path:
    """The libSDL2 file this process's pygame is linked against (read from the process's memory map)."""
    maps = Path("/proc/self/maps").read_text()
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if _SDL_LIBRARY.search(path):
            return Path(path)
    raise DisplayError("pygame has loaded no libSDL2 (is this Linux with pygame installed?)")


def sdl_video_drivers() -> list[str]:
    """The video drivers compiled into the SDL pygame loaded, lower case ("kmsdrm", "x11", ...).

    Asked of SDL itself (SDL_GetVideoDriver), so it holds for any pygame build,
    the wheel's bundled SDL or Debian's libsdl2.
    """
    sdl = ctypes.CDLL(str(loaded_sdl_library()))
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    sdl.SDL_GetVideoDriver.argtypes = [ctypes.c_int]
    return [sdl.SDL_GetVideoDriver(index).decode().lower() for index in range(sdl.SDL_GetNumVideoDrivers())]


def choose_video_driver(config: DisplayConfig) -> str | None:
    """The configured driver, else SDL_VIDEODRIVER, else kmsdrm on a console without X or Wayland.

    Bookworm Lite has no fbcon/directfb for SDL 2, so guessing through a list of
    drivers fails there; kmsdrm is the one that works without a desktop.
    """
    if config.video_driver:
        return config.video_driver
    if os.environ.get("SDL_VIDEODRIVER"):
        return os.environ["SDL_VIDEODRIVER"]
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "kmsdrm"
    return None


# ------------------------------------------------------------------ the screens


class Screen(Closeable):
    """Where the wall's frames go: `surface` is drawn on, `present()` shows it."""

    backend: str
    surface: pygame.Surface

    def present(self, areas: list[pygame.Rect] | None = None) -> None:
        """Show the surface: the `areas` that changed, or all of it."""
        raise NotImplementedError


class SdlScreen(Screen):
    """A surface SDL shows itself (KMSDRM, a desktop window, or the dummy driver in tests)."""

    def __init__(self, surface: pygame.Surface, backend: str):
        self.surface = surface
        self.backend = backend
        self._open = True

    def present(self, areas: list[pygame.Rect] | None = None) -> None:
        if areas is None:
            pygame.display.flip()
        else:
            pygame.display.update(areas)

    def close(self) -> None:
        if self._open:
            self._open = False
            pygame.display.quit()


class Framebuffer(Closeable):
    """The Linux framebuffer device, its geometry read from sysfs; frames are copied into its memory."""

    def __init__(self, device: Path = FRAMEBUFFER, sysfs: Path = FRAMEBUFFER_SYSFS):
        try:
            width, height = (int(part) for part in (sysfs / "virtual_size").read_text().split(","))
            self.depth = int((sysfs / "bits_per_pixel").read_text())
            self.stride = int((sysfs / "stride").read_text())
        except (OSError, ValueError) as error:
            raise DisplayError(f"cannot read the geometry of {device} from {sysfs}: {error}") from error
        if self.depth not in _FRAMEBUFFER_MASKS:
            raise DisplayError(f"{device} has {self.depth} bits a pixel; the wall draws 16, 24 or 32")
        self.size = (width, height)
        self.device = device
        try:
            with open(device, "r+b", buffering=0) as file:
                self._memory = mmap.mmap(file.fileno(), self.stride * height)
        except (OSError, ValueError) as error:
            raise DisplayError(f"cannot open {device}: {error}; is this user in group video?") from error
        self._converted = pygame.Surface(self.size, 0, self.depth, _FRAMEBUFFER_MASKS[self.depth])

    def write(self, frame: pygame.Surface) -> None:
        """Copy `frame` (the framebuffer's size) into the framebuffer, row by row at its stride."""
        self._converted.blit(frame, (0, 0))
        pixels, pitch = self._converted.get_view("0").raw, self._converted.get_pitch()
        if pitch == self.stride:
            self._memory[: len(pixels)] = pixels
            return
        row_bytes = self.size[0] * self.depth // 8
        for row in range(self.size[1]):
            self._memory[row * self.stride : row * self.stride + row_bytes] = pixels[
                row * pitch : row * pitch + row_bytes
            ]

    def close(self) -> None:
        if not self._memory.closed:
            self._memory.close()


class FramebufferScreen(Screen):
    """Draws off screen (SDL's dummy driver) and copies every frame into /dev/fb0."""

    backend = "fbdev"

    def __init__(self, framebuffer: Framebuffer):
        self.framebuffer = framebuffer
        self.surface = _open_sdl("dummy", framebuffer.size, fullscreen=False)
        self._open = True

    def present(self, areas: list[pygame.Rect] | None = None) -> None:
        self.framebuffer.write(self.surface)  # the fallback copies the whole frame: simple beats fast here

    def close(self) -> None:
        if self._open:
            self._open = False
            self.framebuffer.close()
            pygame.display.quit()


# ------------------------------------------------------------------ opening


def _open_sdl(driver: str | None, size: tuple[int, int], *, fullscreen: bool) -> pygame.Surface:
    if driver:
        os.environ["SDL_VIDEODRIVER"] = driver
    try:
        pygame.display.init()
        pygame.font.init()
        return pygame.display.set_mode(size, pygame.FULLSCREEN if fullscreen else 0)
    except pygame.error:
        pygame.display.quit()
        raise


def open_screen(config: DisplayConfig) -> pygame.Surface:
    """Open an SDL screen or window once for the life of the process (re-opening KMSDRM has crashed SDL)."""
    driver = choose_video_driver(config)
    try:
        screen = _open_sdl(driver, config.size, fullscreen=config.fullscreen)
    except pygame.error as error:
        raise DisplayError(explain_screen_failure(driver, str(error))) from error
    pygame.display.set_caption("Polaroid Wall")
    if config.fullscreen:
        pygame.mouse.set_visible(False)
    if screen.get_size() != tuple(config.size):
        log.warning(
            "asked for a %s×%s screen, got %s×%s; drawing for the screen we got", *config.size, *screen.get_size()
        )
    return screen


def open_wall_screen(config: DisplayConfig, *, framebuffer=Framebuffer) -> Screen:
    """The wall's screen: SDL (KMSDRM on a Pi console); if KMSDRM fails, the framebuffer; logs which drew.

    `framebuffer` makes the fallback's Framebuffer (tests hand in one on a plain file).
    """
    driver = choose_video_driver(config)
    try:
        screen = SdlScreen(open_screen(config), driver or pygame.display.get_driver())
    except DisplayError as kms_failure:
        if driver != "kmsdrm":
            raise
        try:
            screen = FramebufferScreen(framebuffer())
        except DisplayError as fb_failure:
            raise DisplayError(f"{kms_failure}\n- the fallback to the framebuffer failed too: {fb_failure}") from None
        log.warning(
            "KMSDRM could not be opened (%s); drawing into %s instead, %s×%s at %s bits a pixel",
            str(kms_failure).splitlines()[0],
            screen.framebuffer.device,
            *screen.framebuffer.size,
            screen.framebuffer.depth,
        )
    log.info("screen: %s draws %s×%s", screen.backend, *screen.surface.get_size())
    return screen


def explain_screen_failure(driver: str | None, error: str) -> str:
    lines = [f"cannot open the screen (SDL video driver {driver or 'auto'}): {error}"]
    if driver == "kmsdrm":
        if "kmsdrm" not in sdl_video_drivers():
            lines.append(
                f"- the SDL pygame loads ({loaded_sdl_library().name}) has no KMSDRM driver: "
                "install pygame-ce (pip install pygame-ce), see docs/screen.md"
            )
        missing = [group for group in ("video", "render") if not _member_of(group)]
        if missing:
            lines.append(
                f"- this user is not in group {' and '.join(missing)}: "
                "sudo usermod -aG video,render $USER, then log in again"
            )
        if not glob("/dev/dri/card*"):
            lines.append(
                "- there is no /dev/dri/card*: enable KMS (dtoverlay=vc4-kms-v3d in /boot/firmware/config.txt)"
            )
        lines.append(
            "- only one program can drive the screen: stop a desktop or another wallboard "
            "using it (systemctl status display-manager)"
        )
    lines.append(
        '- in a desktop session set display.video_driver = "x11" or "wayland"; '
        "headless (tests, screenshots) use SDL_VIDEODRIVER=dummy"
    )
    return "\n".join(lines)


def _member_of(group: str) -> bool:
    if os.geteuid() == 0:
        return True  # root opens the devices anyway
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return True  # no such group here: not the problem
    return gid in os.getgroups() or os.getgid() == gid
