"""Opening the screen on a Pi: KMSDRM in the SDL we load, and the /dev/fb0 fallback with the same renderer."""

import logging

import pygame
import pytest

from render import screen as screen_module
from render.config import DisplayConfig
from render.display import WallDisplay
from render.samples import wall
from render.screen import (
    DisplayError,
    Framebuffer,
    FramebufferScreen,
    choose_video_driver,
    explain_screen_failure,
    loaded_sdl_library,
    open_screen,
    open_wall_screen,
    sdl_video_drivers,
)
from tests.render_support import HandClock


def fake_framebuffer(folder, size=(640, 360), depth=32, padding=0):
    """A framebuffer device on a plain file, with its sysfs geometry next to it."""
    width, height = size
    stride = width * depth // 8 + padding
    sysfs = folder / "sysfs"
    sysfs.mkdir()
    (sysfs / "virtual_size").write_text(f"{width},{height}\n")
    (sysfs / "bits_per_pixel").write_text(f"{depth}\n")
    (sysfs / "stride").write_text(f"{stride}\n")
    device = folder / "fb0"
    device.write_bytes(bytes(stride * height))
    return lambda: Framebuffer(device, sysfs)


def pixel_in_framebuffer(data: bytes, framebuffer: Framebuffer, x: int, y: int) -> tuple[int, int, int]:
    """Decode one pixel the way the kernel's XRGB8888 / RGB565 framebuffer holds it."""
    offset = y * framebuffer.stride + x * framebuffer.depth // 8
    if framebuffer.depth == 16:
        value = int.from_bytes(data[offset : offset + 2], "little")
        return ((value >> 11) << 3, ((value >> 5) & 0x3F) << 2, (value & 0x1F) << 3)
    blue, green, red = data[offset : offset + 3]
    return (red, green, blue)


def test_the_sdl_this_venv_loads_has_the_kmsdrm_driver_pi_os_lite_needs():
    pygame.display.init()  # any pygame module loads SDL; the driver list needs no screen
    assert "kmsdrm" in sdl_video_drivers(), (
        f"{loaded_sdl_library()} was built without KMSDRM: the wall would not open its screen on Pi OS Lite"
    )


def test_kmsdrm_is_chosen_on_a_console_and_the_config_or_environment_win(monkeypatch):
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(screen_module.sys, "platform", "linux")
    assert choose_video_driver(DisplayConfig()) == "kmsdrm"
    assert choose_video_driver(DisplayConfig(video_driver="x11")) == "x11"
    monkeypatch.setenv("SDL_VIDEODRIVER", "wayland")
    assert choose_video_driver(DisplayConfig()) == "wayland"


def test_a_screen_that_cannot_be_opened_fails_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # restored after the test
    pygame.display.quit()
    with pytest.raises(DisplayError, match="cannot open the screen"):
        open_screen(DisplayConfig(video_driver="no-such-driver", fullscreen=False))


def test_the_kmsdrm_failure_names_the_groups_and_a_competing_program(monkeypatch):
    monkeypatch.setattr(screen_module, "_member_of", lambda group: False)
    message = explain_screen_failure("kmsdrm", "Could not initialize KMSDRM")
    assert "Could not initialize KMSDRM" in message
    assert "group video and render" in message and "usermod -aG video,render" in message
    assert "only one program can drive the screen" in message


def test_an_sdl_without_kmsdrm_is_named_as_the_reason(monkeypatch):
    monkeypatch.setattr(screen_module, "sdl_video_drivers", lambda: ["x11", "wayland", "offscreen", "dummy"])
    message = explain_screen_failure("kmsdrm", "kmsdrm not available")
    assert "has no KMSDRM driver" in message and "pygame-ce" in message


@pytest.mark.parametrize("depth, padding", [(32, 0), (32, 64), (16, 0)])
def test_when_kmsdrm_cannot_be_opened_the_wall_draws_into_the_framebuffer(
    tmp_path, monkeypatch, caplog, depth, padding
):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # restored after the test
    pygame.display.quit()
    config = DisplayConfig(video_driver="kmsdrm", night=(), burn_in_shift_pixels=0, size=(640, 360))
    clock = HandClock()
    with caplog.at_level(logging.INFO, logger="render.screen"):
        screen = open_wall_screen(config, framebuffer=fake_framebuffer(tmp_path, depth=depth, padding=padding))
    assert isinstance(screen, FramebufferScreen) and screen.backend == "fbdev"
    assert "KMSDRM could not be opened" in caplog.text and "screen: fbdev draws 640×360" in caplog.text

    with WallDisplay(config, clock=clock.wall, ticks=clock.ticks).open(screen) as display:
        display.on_snapshot(wall(count=20))
        assert display.step()
        drawn = display.screen.copy()
        framebuffer = screen.framebuffer
        data = (tmp_path / "fb0").read_bytes()
    tolerance = 8 if depth == 16 else 0  # RGB565 keeps 5 or 6 bits of each colour
    for x, y in [(0, 0), (320, 180), (639, 359), (100, 300), (600, 20)]:
        shown = pixel_in_framebuffer(data, framebuffer, x, y)
        assert all(abs(a - b) <= tolerance for a, b in zip(shown, drawn.get_at((x, y))[:3])), (x, y)
    screen.close()  # closed twice: no error


def test_without_a_framebuffer_either_both_failures_are_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.quit()
    missing = lambda: Framebuffer(tmp_path / "fb0", tmp_path / "no-sysfs")  # noqa: E731
    with pytest.raises(DisplayError, match="(?s)cannot open the screen.*fallback to the framebuffer failed too"):
        open_wall_screen(DisplayConfig(video_driver="kmsdrm", fullscreen=False), framebuffer=missing)
