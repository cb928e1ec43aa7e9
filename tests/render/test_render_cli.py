"""The screen as the `wallboard` command wires it: screenshot, run and demo."""

import signal
import subprocess
import time

import pygame

from tests.app.test_cli import WALLBOARD, wallboard


def test_screenshot_draws_the_current_wall_into_a_png_of_the_screens_size(tmp_path):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", "--card", "04:11:22:33:44:55:66", cwd=tmp_path)
    result = wallboard("screenshot", "--out", "shot.png", cwd=tmp_path)
    assert "shot.png" in result.stdout
    assert pygame.image.load(str(tmp_path / "shot.png")).get_size() == (1920, 1080)


def test_run_stops_at_once_with_the_reason_when_the_screen_cannot_be_opened(tmp_path):
    wallboard("init", cwd=tmp_path)
    config = tmp_path / "wallboard.toml"
    config.write_text(config.read_text().replace('# video_driver = "kmsdrm"', 'video_driver = "no-such-driver"'))
    result = wallboard("run", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "cannot open the screen" in result.stderr and "Traceback" not in result.stderr


def test_the_demo_opens_its_window_and_stops_on_sigterm(tmp_path):
    demo = subprocess.Popen(
        [WALLBOARD, "demo", "--data-dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "demo" / "wallboard.db").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
        assert demo.poll() is None, demo.stderr.read()
        demo.send_signal(signal.SIGTERM)
        _out, err = demo.communicate(timeout=20)
    finally:
        demo.kill()
    assert demo.returncode == 0, err
    assert "Traceback" not in err
    assert len(list((tmp_path / "demo" / "photos").glob("*.png"))) >= 10  # the demo people have faces
