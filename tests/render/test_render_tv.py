"""The TV goes to standby over HDMI-CEC for a black night and comes back on in the morning."""

import subprocess
from datetime import timedelta

from render.config import DisplayConfig
from render.display import WallDisplay
from render.samples import SAMPLE_NOW, wall
from render.tv import CecTv
from tests.render_support import HandClock


class CecRecorder:
    """Stands in for subprocess.run: records the cec-ctl calls, answers like a TV that follows CEC."""

    def __init__(self, fails: bool = False):
        self.calls: list[list[str]] = []
        self.fails = fails

    def __call__(self, args, **options):
        self.calls.append(args)
        return subprocess.CompletedProcess(args, 1 if self.fails else 0, "", "Transmit: Not Acknowledged")


def night_display(clock, tv):
    config = DisplayConfig(
        night=({"start": "20:00", "end": "07:00"},), fullscreen=False, burn_in_shift_pixels=0, size=(640, 360)
    )
    display = WallDisplay(config, clock=clock.wall, ticks=clock.ticks, tv=tv).open()
    display.on_snapshot(wall(count=3))
    return display


def commands(recorder):
    return [call[3:] for call in recorder.calls]


def test_the_tv_goes_to_standby_when_night_falls_and_comes_on_in_the_morning():
    recorder = CecRecorder()
    tv = CecTv(run=recorder)
    clock = HandClock(SAMPLE_NOW.replace(hour=19, minute=59))
    with night_display(clock, tv) as display:
        display.step()
        assert recorder.calls == []  # a day start leaves the TV as it is
        clock.now += timedelta(minutes=2)
        display.step()
        display.step()  # the night goes on: nothing more is sent
        for thread in tv.threads:
            thread.join(5)
        clock.now = SAMPLE_NOW.replace(hour=7, minute=1) + timedelta(days=1)
        display.step()
        for thread in tv.threads:
            thread.join(5)
    assert commands(recorder) == [["--playback"], ["--to", "0", "--standby"], ["--to", "0", "--image-view-on"]]
    assert recorder.calls[0][:3] == ["cec-ctl", "-d", "/dev/cec0"]


def test_a_wall_started_at_night_puts_the_tv_in_standby():
    recorder = CecRecorder()
    tv = CecTv(run=recorder)
    with night_display(HandClock(SAMPLE_NOW.replace(hour=23)), tv) as display:
        display.step()
        for thread in tv.threads:
            thread.join(5)
    assert commands(recorder) == [["--playback"], ["--to", "0", "--standby"]]


def test_a_tv_that_does_not_answer_is_logged_and_the_screen_stays_black(caplog):
    recorder = CecRecorder(fails=True)
    tv = CecTv(run=recorder)
    tv.switch(False)
    for thread in tv.threads:
        thread.join(5)
    assert "cec-ctl --playback failed" in caplog.text and "the screen stays black instead" in caplog.text
