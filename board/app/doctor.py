"""`wallboard doctor`: everything a technician gets wrong on a Pi, checked, one line each with the fix.

Each check returns `Finding`s and never raises: a check that breaks is a finding
too. The machine is reached through `Host` (paths and commands), so tests point it
at a folder that looks like a Pi, or one that does not. Findings speak the wall's
language (config.language); every text is a "doctor." key of board/core/i18n.py.
"""

import grp
import logging
import os
import pwd
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from board.app.config import Config
from board.app.systemd import EARLIEST_TRUSTED_TIME
from board.core.i18n import Texts, text

log = logging.getLogger(__name__)

SERVICE_GROUPS = ("video", "render", "input", "spi", "gpio")
DISK_LOW_BYTES = 200 * 1024 * 1024
DISK_WARN_BYTES = 1024 * 1024 * 1024


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    verdict: Verdict
    topic: str  # "SPI", "groups", …: the same in every language; its label is "doctor.topic.<topic>"
    detail: str
    fix: str | None = None

    def line(self, language: str) -> str:
        width = max(len(text(f"doctor.verdict.{verdict}", language)) for verdict in Verdict)
        verdict = text(f"doctor.verdict.{self.verdict}", language)
        topic = text(f"doctor.topic.{self.topic}", language)
        return f"{verdict:<{width}}  {topic:<9} {self.detail}" + (f"  -> {self.fix}" if self.fix else "")


def summary(findings: list[Finding], language: str) -> str:
    """The last line, "Samenvatting: 1 FOUT, 2 let op, 6 ok": failures first, as a technician fixes them."""
    counts = ", ".join(
        f"{sum(finding.verdict is verdict for finding in findings)} {text(f'doctor.verdict.{verdict}', language)}"
        for verdict in (Verdict.FAIL, Verdict.WARN, Verdict.OK)
    )
    return text("doctor.summary", language, counts=counts)


@dataclass
class Host:
    """Where the checks look: the real machine by default."""

    dev: Path = Path("/dev")
    timesync_flag: Path = Path("/run/systemd/timesync/synchronized")
    now: Callable[[], datetime] = lambda: datetime.now().astimezone()
    run: Callable[[list[str]], str | None] = field(default=lambda args: _command_output(args))


def _command_output(args: list[str]) -> str | None:
    """stdout of a command, None when it is not there or fails."""
    if shutil.which(args[0]) is None:
        return None
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def wall_is_running(host: Host) -> bool:
    return host.run(["systemctl", "is-active", "wallboard"]) == "active"


# ------------------------------------------------------------------ checks


def check_spi(config: Config, host: Host) -> Iterator[Finding]:
    say = Texts(config.language)
    if config.readers.kind == "sim":
        yield Finding(Verdict.OK, "SPI", say("doctor.spi.sim"))
        return
    devices = sorted(path.name for path in host.dev.glob(f"spidev{config.readers.spi_bus}.*"))
    # /dev/spidev0.2 and up, or spidev1.N, exist only when an overlay in config.txt makes them.
    missing = [device.path for device in config.readers.spi_devices() if not (host.dev / device.name).exists()]
    if not devices:
        yield Finding(Verdict.FAIL, "SPI", say("doctor.spi.off", bus=config.readers.spi_bus), say("doctor.spi.off.fix"))
    elif missing:
        lines = " + ".join(config.readers.config_txt_lines())
        yield Finding(
            Verdict.FAIL,
            "SPI",
            say("doctor.spi.missing", devices=", ".join(missing)),
            say("doctor.spi.missing.fix", lines=lines),
        )
    else:
        yield Finding(Verdict.OK, "SPI", say("doctor.spi.on", devices=", ".join(f"/dev/{name}" for name in devices)))


def check_groups(config: Config, host: Host) -> Iterator[Finding]:
    say = Texts(config.language)
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        yield Finding(Verdict.WARN, "groups", say("doctor.groups.root"), say("doctor.groups.root.fix"))
        return
    mine = set(os.getgroups()) | {os.getgid()}
    missing = []
    for name in SERVICE_GROUPS:
        try:
            if grp.getgrnam(name).gr_gid not in mine:
                missing.append(name)
        except KeyError:
            continue  # no such group on this system: the devices are not guarded by it
    if missing:
        yield Finding(
            Verdict.FAIL,
            "groups",
            say("doctor.groups.missing", user=user, groups=", ".join(missing)),
            say("doctor.groups.missing.fix", user=user, group_list=",".join(missing)),
        )
    else:
        yield Finding(Verdict.OK, "groups", say("doctor.groups.ok", user=user))


def check_readers(config: Config, host: Host, build_readers) -> Iterator[Finding]:
    from sensors.doctor import probe_readers

    say = Texts(config.language)
    if config.readers.kind == "sim":
        yield Finding(Verdict.OK, "readers", say("doctor.readers.sim"))
        return
    try:
        readers = build_readers(config)
    except Exception as error:  # a wiring or device problem, said in one line
        yield Finding(
            Verdict.FAIL,
            "readers",
            say("doctor.readers.broken", error=str(error).splitlines()[0]),
            say("doctor.readers.broken.fix"),
        )
        return
    try:
        probes = probe_readers(readers)
    finally:
        for reader in readers.values():
            reader.close()
    faulty = [probe for probe in probes if probe.fault]
    if faulty:
        names = ", ".join(f"{probe.reader_id} ({probe.fault})" for probe in faulty)
        yield Finding(
            Verdict.FAIL,
            "readers",
            say("doctor.readers.faulty", answering=len(probes) - len(faulty), total=len(probes), names=names),
            say("doctor.readers.faulty.fix"),
        )
    else:
        yield Finding(Verdict.OK, "readers", say("doctor.readers.ok", total=len(probes)))


def check_screen(config: Config, host: Host) -> Iterator[Finding]:
    from render.screen import DisplayError, open_wall_screen, sdl_video_drivers

    say = Texts(config.language)
    drivers = sdl_video_drivers()
    if "kmsdrm" not in drivers:
        yield Finding(
            Verdict.FAIL,
            "screen",
            say("doctor.screen.no_kmsdrm", drivers=", ".join(drivers)),
            say("doctor.screen.no_kmsdrm.fix"),
        )
    try:
        screen = open_wall_screen(config.display)
    except DisplayError as error:
        reason = str(error).splitlines()
        hint = "; ".join(line.lstrip("- ") for line in reason[1:3])
        yield Finding(
            Verdict.FAIL,
            "screen",
            say("doctor.screen.broken", reason=reason[0]),
            say("doctor.screen.broken.fix", hint=hint) if hint else None,
        )
        return
    backend, (width, height) = screen.backend, screen.surface.get_size()
    screen.close()
    if backend == "fbdev":
        yield Finding(
            Verdict.WARN,
            "screen",
            say("doctor.screen.framebuffer", width=width, height=height),
            say("doctor.screen.framebuffer.fix"),
        )
    else:
        yield Finding(Verdict.OK, "screen", say("doctor.screen.ok", backend=backend, width=width, height=height))


def check_leds(config: Config, host: Host, pin_factory: Callable[[], object]) -> Iterator[Finding]:
    from gpiozero.pins.mock import MockFactory

    from render.leds import LedThermometer

    say = Texts(config.language)
    if not config.leds.enabled:
        yield Finding(Verdict.OK, "LEDs", say("doctor.leds.off"))
        return
    try:
        factory = pin_factory()
        LedThermometer(config.leds, config.display.schedule, pin_factory=factory, clock=host.now).close()
    except Exception as error:
        yield Finding(
            Verdict.FAIL,
            "LEDs",
            say("doctor.leds.broken", error=str(error).splitlines()[0]),
            say("doctor.leds.broken.fix"),
        )
        return
    pins = ", ".join(str(pin) for pin in config.leds.pins)
    if isinstance(factory, MockFactory):
        if os.environ.get("GPIOZERO_PIN_FACTORY") == "mock":
            yield Finding(
                Verdict.WARN, "LEDs", say("doctor.leds.mock_asked", pins=pins), say("doctor.leds.mock_asked.fix")
            )
        else:
            yield Finding(Verdict.WARN, "LEDs", say("doctor.leds.mock_no_pi", pins=pins))
    else:
        yield Finding(Verdict.OK, "LEDs", say("doctor.leds.ok", pins=pins, factory=type(factory).__name__))


def check_broker(config: Config, host: Host, timeout: float = 5.0) -> Iterator[Finding]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    say = Texts(config.language)
    settings = config.mqtt
    if not settings.enabled:
        yield Finding(Verdict.OK, "broker", say("doctor.broker.off"))
        return
    where = f"{settings.host}:{settings.port}"
    if settings.username:
        where = say("doctor.broker.as_user", address=where, user=settings.username)
    answered = threading.Event()
    outcome: list[str] = []

    def on_connect(client, userdata, flags, reason, properties) -> None:
        outcome.append("" if not reason.is_failure else str(reason))
        answered.set()

    # Never the wall's own client id: the doctor must not take the running wall's session over.
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{settings.effective_client_id(config.board_id)}-doctor"
    )
    client.on_connect = on_connect
    try:
        settings.secure(client)
        client.connect(settings.host, settings.port, keepalive=10)
    except (OSError, ValueError) as error:
        yield Finding(
            Verdict.FAIL,
            "broker",
            say("doctor.broker.unreachable", where=where, error=error),
            say("doctor.broker.unreachable.fix"),
        )
        return
    client.loop_start()
    try:
        if not answered.wait(timeout):
            yield Finding(
                Verdict.FAIL,
                "broker",
                say("doctor.broker.silent", where=where, seconds=f"{timeout:.0f}"),
                say("doctor.broker.silent.fix"),
            )
        elif outcome[0]:
            yield Finding(
                Verdict.FAIL,
                "broker",
                say("doctor.broker.refused", where=where, reason=outcome[0]),
                say("doctor.broker.refused.fix"),
            )
        else:
            yield Finding(Verdict.OK, "broker", say("doctor.broker.ok", where=where))
    finally:
        client.disconnect()
        client.loop_stop()


def check_bridge(config: Config, host: Host, timeout: float = 5.0) -> Iterator[Finding]:
    """A wall bridged to a company broker: is the bridge up, and is the board id this wall's there?"""
    bridge = config.mqtt.bridge
    if bridge is None:
        return
    from board.mqtt.bridge import CLAIM_TOPIC, STATUS_TOPIC, BridgeError, Claim, read_retained, wall_identity

    say = Texts(config.language)
    company = f"{bridge.host}:{bridge.port}"
    base = config.mqtt.topic_base(config.board_id)
    status_topic, claim_topic = f"{base}/{STATUS_TOPIC}", f"{base}/{CLAIM_TOPIC}"
    try:
        held = read_retained(
            config.mqtt,
            f"{config.mqtt.effective_client_id(config.board_id)}-doctor",
            [status_topic, claim_topic],
            timeout,
        )
    except BridgeError as error:
        yield Finding(
            Verdict.FAIL, "bridge", say("doctor.bridge.unasked", error=error), say("doctor.bridge.unasked.fix")
        )
        return
    status = held.get(status_topic)
    up = status is not None and status.strip() == b"1"
    if status is None:
        yield Finding(Verdict.FAIL, "bridge", say("doctor.bridge.none", company=company), say("doctor.bridge.none.fix"))
    elif not up:
        yield Finding(Verdict.FAIL, "bridge", say("doctor.bridge.down", company=company), say("doctor.bridge.down.fix"))
    else:
        yield Finding(Verdict.OK, "bridge", say("doctor.bridge.up", company=company, user=bridge.user(config.board_id)))
    claim = held.get(claim_topic)
    if claim is not None and (holder := Claim.parse(claim)).identity != wall_identity(config.data_dir):
        yield Finding(
            Verdict.FAIL,
            "bridge",
            say("doctor.bridge.taken", board_id=config.board_id, company=company, holder=holder.describe()),
            say("doctor.bridge.taken.fix"),
        )
    elif claim is None and up:
        yield Finding(
            Verdict.WARN,
            "bridge",
            say("doctor.bridge.unclaimed", board_id=config.board_id, company=company),
            say("doctor.bridge.unclaimed.fix"),
        )


def check_clock(config: Config, host: Host, last_recorded: datetime | None) -> Iterator[Finding]:
    say = Texts(config.language)
    now = host.now()
    synced = (
        host.timesync_flag.exists() or host.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"]) == "yes"
    )
    floor = max(EARLIEST_TRUSTED_TIME, last_recorded) if last_recorded else EARLIEST_TRUSTED_TIME
    if now < floor:
        yield Finding(
            Verdict.FAIL,
            "clock",
            say("doctor.clock.behind", now=f"{now:%Y-%m-%d %H:%M}", floor=f"{floor:%Y-%m-%d %H:%M}"),
            say("doctor.clock.behind.fix"),
        )
    elif synced:
        yield Finding(Verdict.OK, "clock", say("doctor.clock.ok", now=f"{now:%Y-%m-%d %H:%M %Z}"))
    else:
        yield Finding(
            Verdict.WARN,
            "clock",
            say("doctor.clock.unsynced", now=f"{now:%Y-%m-%d %H:%M %Z}"),
            say("doctor.clock.unsynced.fix"),
        )


def check_disk(config: Config, host: Host) -> Iterator[Finding]:
    folder = config.data_dir if config.data_dir.exists() else config.data_dir.parent
    say = Texts(config.language)
    free = shutil.disk_usage(folder).free
    detail = say("doctor.disk.free", gib=f"{free / 1024**3:.1f}", folder=config.data_dir)
    if free < DISK_LOW_BYTES:
        yield Finding(Verdict.FAIL, "disk", detail, say("doctor.disk.low.fix"))
    elif free < DISK_WARN_BYTES:
        yield Finding(Verdict.WARN, "disk", detail, say("doctor.disk.tight.fix"))
    else:
        yield Finding(Verdict.OK, "disk", detail)


def check_database(config: Config, host: Host) -> Iterator[Finding]:
    from store import migrate
    from store.repository import Store

    say = Texts(config.language)
    path = config.database_path
    if not path.exists():
        yield Finding(
            Verdict.FAIL, "database", say("doctor.database.missing", path=path), say("doctor.database.missing.fix")
        )
        return
    store = Store(config)
    try:
        result = store.integrity_check()
        revision = store.revision()
    except Exception as error:  # not a database, unreadable: said in one line
        yield Finding(
            Verdict.FAIL,
            "database",
            say("doctor.database.unreadable", path=path, error=str(error).splitlines()[0]),
            say("doctor.database.unreadable.fix"),
        )
        return
    finally:
        store.close()
    if result != "ok":
        yield Finding(
            Verdict.FAIL,
            "database",
            say("doctor.database.damaged", path=path, result=result),
            say("doctor.database.damaged.fix"),
        )
    elif revision != migrate.head_revision():
        yield Finding(
            Verdict.WARN,
            "database",
            say("doctor.database.old", path=path, revision=revision, head=migrate.head_revision()),
            say("doctor.database.old.fix"),
        )
    else:
        yield Finding(Verdict.OK, "database", say("doctor.database.ok", path=path))


def last_recorded_event(config: Config) -> datetime | None:
    from store.repository import Store

    if not config.database_path.exists():
        return None
    store = Store(config)
    try:
        return store.last_event_at()
    except Exception:  # check_database says what is wrong with it
        return None
    finally:
        store.close()


def examine(config: Config, host: Host, *, build_readers, pin_factory) -> Iterator[Finding]:
    """Every check in the order a technician fixes things; the hardware ones wait while the wall runs."""
    say = Texts(config.language)
    checks: list[Callable[[], Iterator[Finding]]] = [
        lambda: check_spi(config, host),
        lambda: check_groups(config, host),
    ]
    if wall_is_running(host):
        checks.append(
            lambda: iter(
                [Finding(Verdict.WARN, "hardware", say("doctor.hardware.busy"), say("doctor.hardware.busy.fix"))]
            )
        )
    else:
        checks += [
            lambda: check_readers(config, host, build_readers),
            lambda: check_screen(config, host),
            lambda: check_leds(config, host, pin_factory),
        ]
    checks += [
        lambda: check_broker(config, host),
        lambda: check_bridge(config, host),
        lambda: check_clock(config, host, last_recorded_event(config)),
        lambda: check_disk(config, host),
        lambda: check_database(config, host),
    ]
    for check in checks:
        try:
            yield from check()
        except Exception as error:  # a broken check is a finding, not a traceback
            log.debug("doctor check failed", exc_info=True)
            yield Finding(Verdict.FAIL, "doctor", say("doctor.check_broke", kind=type(error).__name__, error=error))
