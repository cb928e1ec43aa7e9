"""Settings for the screen (`[display]`) and the LED thermometer (`[leds]`).

The board config embeds both sections; everything here has a default so a
config without them still gives a working 1920×1080 wall.
"""

from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from board.core.pins import PinUse, checks_pins_itself, first_clash
from board.core.settings import Weekday

NightMode = Literal["dim", "black"]
SunMeasure = Literal["people", "thermometer"]


class NightWindow(BaseModel):
    """Hours on some weekdays when the wall rests.

    `days` name the day the window starts. An `end` at or before `start` runs
    past midnight into the next day; `start == end` covers the whole day.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: tuple[Weekday, ...] = tuple(Weekday)
    start: time
    end: time
    mode: NightMode = "black"

    def spans_from(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The window's span starting on `day`'s date, if it starts that weekday."""
        if Weekday.of(day) not in self.days:
            return None
        begin = day.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        finish = day.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if finish <= begin:
            finish += timedelta(days=1)
        return begin, finish


class NightSchedule(BaseModel):
    """Answers "should the wall rest now?" for the screen and the LEDs alike."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    windows: tuple[NightWindow, ...] = ()

    def _spans(self, now: datetime):
        for days_back in (1, 0):
            day = now - timedelta(days=days_back)
            for window in self.windows:
                span = window.spans_from(day)
                if span:
                    yield window, span

    def mode_at(self, now: datetime) -> NightMode | None:
        """ "black" beats "dim" where windows overlap; None means daytime."""
        modes = {window.mode for window, (begin, finish) in self._spans(now) if begin <= now < finish}
        if "black" in modes:
            return "black"
        return "dim" if modes else None


class DisplayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: tuple[int, int] = (1920, 1080)  # the screen's resolution as the OS reports it
    portrait: bool = False  # the screen hangs turned 90° clockwise: draw upright for it
    fullscreen: bool = True
    video_driver: str | None = None  # None: SDL_VIDEODRIVER if set, else kmsdrm on a console
    reduced_motion: bool = False  # celebrations become still banners
    night: tuple[NightWindow, ...] = (NightWindow(start=time(20, 0), end=time(7, 0)),)
    dim_brightness: float = Field(0.3, ge=0.05, le=1.0)  # what "dim" leaves of the picture
    tv_standby_at_night: bool = True  # a "black" night puts the TV in standby over HDMI-CEC where it can
    burn_in_shift_minutes: int = Field(10, ge=1)
    burn_in_shift_pixels: int = Field(6, ge=0, le=40)
    highlight_hours: float = Field(24, ge=0)  # cards moved this recently get a glow
    animation_fps: int = Field(30, ge=5, le=60)
    idle_tick_seconds: float = Field(1.0, gt=0, le=10)  # how often an idle wall checks the clock
    sun: bool = False  # a sun left of the wall that rises through the period
    sun_follows: SunMeasure = "people"  # share of people who had a go, or the thermometer's share of the goal
    sun_servo_pin: int | str | None = None  # a servo moves a real sun along a rail (gpiozero AngularServo)
    sun_servo_angles: tuple[float, float] = (-90.0, 90.0)  # the servo's angle with the sun at the bottom, at the top
    sun_slider_channel: int | None = Field(
        None, ge=0, le=7
    )  # or people slide it: a potentiometer on this MCP3008 channel
    sun_slider_step: float = Field(0.05, gt=0, le=0.5)  # a smaller slide is noise, not a move

    @field_validator("size")
    @classmethod
    def _sensible_size(cls, size: tuple[int, int]) -> tuple[int, int]:
        if min(size) < 320:
            raise ValueError(f"a screen of {size[0]}×{size[1]} is too small for the wall")
        return size

    @model_validator(mode="after")
    def _one_kind_of_sun(self) -> "DisplayConfig":
        if self.sun_servo_pin is not None and self.sun_slider_channel is not None:
            raise ValueError(
                "display.sun_servo_pin and display.sun_slider_channel: a sun is moved by a servo "
                "or slid by hand, not both"
            )
        if self.sun_servo_angles[0] == self.sun_servo_angles[1]:
            raise ValueError("display.sun_servo_angles: bottom and top need different angles")
        return self

    @property
    def schedule(self) -> NightSchedule:
        return NightSchedule(windows=self.night)

    def pin_uses(self) -> list[PinUse]:
        """The pins a physical sun takes: its servo's, or the select line of the slider's MCP3008 (SPI0 CE0)."""
        if self.sun_servo_pin is not None:
            return [PinUse(self.sun_servo_pin, "sun servo", ("display", "sun_servo_pin"))]
        if self.sun_slider_channel is not None:
            return [PinUse(8, "sun slider's MCP3008 select (SPI0 CE0)", ("display", "sun_slider_channel"))]
        return []


class LedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # Bottom LED first. Clear of SPI0, the readers' reset (25), decoder (5, 6, 13, 12, 19, 26)
    # and of I2C/UART, as wired in docs/install.md.
    pins: tuple[int | str, ...] = (4, 17, 18, 27, 22, 23, 24, 16, 20, 21)
    pwm: bool = True  # needed for a smooth top LED and for dimming at night
    active_high: bool = True
    night_brightness: float = Field(0.0, ge=0.0, le=1.0)  # 0 turns the column off at night
    buzzer_pin: int | str | None = None  # a TonalBuzzer for celebration tunes; off by default
    pulse_seconds: float = Field(0.4, gt=0)
    chase_step_seconds: float = Field(0.06, gt=0)
    refused_blink_seconds: float = Field(0.12, gt=0)  # an attempt that did not count: the bottom LED blinks

    @model_validator(mode="after")
    def _pins_are_distinct(self, info: ValidationInfo) -> "LedConfig":
        if self.enabled and not self.pins:
            raise ValueError("leds.pins needs at least one pin (bottom LED first)")
        if not checks_pins_itself(info) and (clash := first_clash(self.pin_uses())):
            raise ValueError(clash.describe())
        return self

    def pin_uses(self) -> list[PinUse]:
        """The pins the column and buzzer take; none when the LEDs are off."""
        if not self.enabled:
            return []
        uses = [PinUse(pin, f"LED {number}", ("leds", "pins")) for number, pin in enumerate(self.pins, start=1)]
        if self.buzzer_pin is not None:
            uses.append(PinUse(self.buzzer_pin, "buzzer", ("leds", "buzzer_pin")))
        return uses
