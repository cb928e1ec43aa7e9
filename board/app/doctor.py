"""`wallboard doctor`: everything a technician gets wrong on a Pi, checked, one line each with the fix.

Each check returns `Finding`s and never raises: a check that breaks is a finding
too. The machine is reached through `Host` (paths and commands), so tests point it
at a folder that looks like a Pi, or one that does not.
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
    topic: str
    detail: str
    fix: str | None = None

    def line(self) -> str:
        return f"{self.verdict:<4}  {self.topic:<9} {self.detail}" + (f"  -> {self.fix}" if self.fix else "")


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
    if config.readers.kind == "sim":
        yield Finding(Verdict.OK, "SPI", 'not needed: readers.kind = "sim"')
        return
    devices = sorted(path.name for path in host.dev.glob(f"spidev{config.readers.spi_bus}.*"))
    if devices:
        yield Finding(Verdict.OK, "SPI", ", ".join(f"/dev/{name}" for name in devices))
    else:
        yield Finding(
            Verdict.FAIL,
            "SPI",
            f"no /dev/spidev{config.readers.spi_bus}.*: SPI is off",
            "sudo raspi-config nonint do_spi 0 (or dtparam=spi=on in /boot/firmware/config.txt), reboot",
        )


def check_groups(config: Config, host: Host) -> Iterator[Finding]:
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        yield Finding(
            Verdict.WARN,
            "groups",
            "running as root, which opens every device; the service does not",
            "run the doctor as the service user: sudo -u wallboard wallboard doctor",
        )
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
            f"{user} is not in {', '.join(missing)}",
            f"sudo usermod -aG {','.join(missing)} {user}, then restart the service (or log in again)",
        )
    else:
        yield Finding(Verdict.OK, "groups", f"{user} is in every group the wall needs that exists here")


def check_readers(config: Config, host: Host, build_readers) -> Iterator[Finding]:
    from sensors.doctor import probe_readers

    if config.readers.kind == "sim":
        yield Finding(Verdict.OK, "readers", "simulated")
        return
    try:
        readers = build_readers(config)
    except Exception as error:  # a wiring or device problem, said in one line
        yield Finding(
            Verdict.FAIL,
            "readers",
            str(error).splitlines()[0],
            "check readers.* in the config and the wiring (docs/readers.md)",
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
            f"{len(probes) - len(faulty)} of {len(probes)} answer; {names}",
            "wallboard doctor --readers shows each; check power, MISO and that reader's chip select",
        )
    else:
        yield Finding(Verdict.OK, "readers", f"all {len(probes)} answer")


def check_screen(config: Config, host: Host) -> Iterator[Finding]:
    from render.screen import DisplayError, open_wall_screen, sdl_video_drivers

    drivers = sdl_video_drivers()
    if "kmsdrm" not in drivers:
        yield Finding(
            Verdict.FAIL,
            "screen",
            f"the SDL pygame loads has no KMSDRM driver ({', '.join(drivers)})",
            "reinstall with deploy/install.sh (pygame-ce); see docs/screen.md",
        )
    try:
        screen = open_wall_screen(config.display)
    except DisplayError as error:
        reason = str(error).splitlines()
        yield Finding(Verdict.FAIL, "screen", reason[0], "; ".join(line.lstrip("- ") for line in reason[1:3]) or None)
        return
    backend, size = screen.backend, screen.surface.get_size()
    screen.close()
    if backend == "fbdev":
        yield Finding(
            Verdict.WARN,
            "screen",
            f"KMSDRM failed; the framebuffer /dev/fb0 draws {size[0]}×{size[1]}",
            "check the log line above; vc4-kms-v3d in /boot/firmware/config.txt and no desktop running",
        )
    else:
        yield Finding(Verdict.OK, "screen", f"{backend} draws {size[0]}×{size[1]}")


def check_leds(config: Config, host: Host, pin_factory: Callable[[], object]) -> Iterator[Finding]:
    from gpiozero.pins.mock import MockFactory

    from render.leds import LedThermometer

    if not config.leds.enabled:
        yield Finding(Verdict.OK, "LEDs", "switched off in the config")
        return
    try:
        factory = pin_factory()
        LedThermometer(config.leds, config.display.schedule, pin_factory=factory, clock=host.now).close()
    except Exception as error:
        yield Finding(Verdict.FAIL, "LEDs", str(error).splitlines()[0], "check leds.pins (BCM numbers)")
        return
    pins = ", ".join(str(pin) for pin in config.leds.pins)
    if isinstance(factory, MockFactory):
        asked = os.environ.get("GPIOZERO_PIN_FACTORY") == "mock"
        yield Finding(
            Verdict.WARN,
            "LEDs",
            f"GPIO {pins} on mock pins ("
            + ("GPIOZERO_PIN_FACTORY=mock" if asked else "not a Raspberry Pi")
            + "): nothing lights up",
            "unset GPIOZERO_PIN_FACTORY" if asked else None,
        )
    else:
        yield Finding(Verdict.OK, "LEDs", f"GPIO {pins} ({type(factory).__name__})")


def check_broker(config: Config, host: Host, timeout: float = 5.0) -> Iterator[Finding]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    settings = config.mqtt
    if not settings.enabled:
        yield Finding(Verdict.OK, "broker", "MQTT is off in the config")
        return
    where = f"{settings.host}:{settings.port}" + (f" as {settings.username}" if settings.username else "")
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
            f"cannot reach {where}: {error}",
            "systemctl status mosquitto; check mqtt.host, mqtt.port and mqtt.tls",
        )
        return
    client.loop_start()
    try:
        if not answered.wait(timeout):
            yield Finding(
                Verdict.FAIL, "broker", f"{where}: no answer in {timeout:.0f} s", "systemctl status mosquitto"
            )
        elif outcome[0]:
            yield Finding(
                Verdict.FAIL,
                "broker",
                f"{where} refused: {outcome[0]}",
                "the password in mqtt.password_file must match the broker's (deploy/mosquitto/users.sh)",
            )
        else:
            yield Finding(Verdict.OK, "broker", f"{where} accepted the configured credentials")
    finally:
        client.disconnect()
        client.loop_stop()


def check_bridge(config: Config, host: Host, timeout: float = 5.0) -> Iterator[Finding]:
    """A wall bridged to a company broker: is the bridge up, and is the board id this wall's there?"""
    bridge = config.mqtt.bridge
    if bridge is None:
        return
    from board.mqtt.bridge import CLAIM_TOPIC, STATUS_TOPIC, BridgeError, Claim, read_retained, wall_identity

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
        yield Finding(Verdict.FAIL, "bridge", f"cannot ask the wall's broker: {error}", "see the broker line above")
        return
    status = held.get(status_topic)
    if status is None:
        yield Finding(
            Verdict.FAIL,
            "bridge",
            f"Mosquitto runs no bridge to {company}",
            "sudo deploy/install.sh (it writes the bridge section again), then systemctl restart mosquitto",
        )
    elif status.strip() != b"1":
        yield Finding(
            Verdict.FAIL,
            "bridge",
            f"the bridge to {company} is down; the wall's messages wait on this Pi",
            "journalctl -u mosquitto: check the network, the company CA and the password in mqtt.bridge",
        )
    else:
        yield Finding(Verdict.OK, "bridge", f"up to {company} as {bridge.user(config.board_id)}")
    claim = held.get(claim_topic)
    mine = wall_identity(config.data_dir)
    if claim is not None and (holder := Claim.parse(claim)).identity != mine:
        yield Finding(
            Verdict.FAIL,
            "bridge",
            f"board_id {config.board_id} on {company} belongs to another {holder.describe()}: "
            "two walls mix their events under one id",
            "give this wall its own board_id, or take the id over: wallboard bridge setup --take-over",
        )
    elif claim is None and status is not None and status.strip() == b"1":
        yield Finding(
            Verdict.WARN,
            "bridge",
            f"no claim on board_id {config.board_id} at {company}",
            "wallboard bridge setup claims it (deploy/install.sh --company-broker)",
        )


def check_clock(config: Config, host: Host, last_recorded: datetime | None) -> Iterator[Finding]:
    now = host.now()
    synced = (
        host.timesync_flag.exists() or host.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"]) == "yes"
    )
    floor = max(EARLIEST_TRUSTED_TIME, last_recorded) if last_recorded else EARLIEST_TRUSTED_TIME
    if now < floor:
        yield Finding(
            Verdict.FAIL,
            "clock",
            f"says {now:%Y-%m-%d %H:%M}, before {floor:%Y-%m-%d %H:%M}: the wall waits for it",
            "connect the network; timedatectl timesync-status",
        )
    elif synced:
        yield Finding(Verdict.OK, "clock", f"synchronised ({now:%Y-%m-%d %H:%M %Z})")
    else:
        yield Finding(
            Verdict.WARN,
            "clock",
            f"not synchronised (says {now:%Y-%m-%d %H:%M %Z}); a Pi has no clock of its own",
            "sudo timedatectl set-ntp true; check the network and timedatectl timesync-status",
        )


def check_disk(config: Config, host: Host) -> Iterator[Finding]:
    folder = config.data_dir if config.data_dir.exists() else config.data_dir.parent
    free = shutil.disk_usage(folder).free
    text = f"{free / 1024**3:.1f} GiB free for {config.data_dir}"
    if free < DISK_LOW_BYTES:
        yield Finding(Verdict.FAIL, "disk", text, "free space: sudo apt-get clean; sudo journalctl --vacuum-size=50M")
    elif free < DISK_WARN_BYTES:
        yield Finding(Verdict.WARN, "disk", text, "sudo apt-get clean; sudo journalctl --vacuum-size=50M")
    else:
        yield Finding(Verdict.OK, "disk", text)


def check_database(config: Config, host: Host) -> Iterator[Finding]:
    from store import migrate
    from store.repository import Store

    path = Path(config.database_url.removeprefix("sqlite:///"))
    if not path.exists():
        yield Finding(Verdict.FAIL, "database", f"{path} does not exist", "wallboard db upgrade creates it")
        return
    store = Store(config)
    try:
        result = store.integrity_check()
        revision = migrate.current_revision(store.engine)
    except Exception as error:  # not a database, unreadable: said in one line
        yield Finding(
            Verdict.FAIL,
            "database",
            f"{path}: {str(error).splitlines()[0]}",
            "restore the newest backup from backups/ next to it",
        )
        return
    finally:
        store.close()
    if result != "ok":
        yield Finding(
            Verdict.FAIL,
            "database",
            f"{path} is damaged: {result}",
            "stop the wall and restore the newest backup from backups/ next to it",
        )
    elif revision != migrate.head_revision():
        yield Finding(
            Verdict.WARN,
            "database",
            f"{path} is intact, schema {revision} (newest {migrate.head_revision()})",
            "wallboard db upgrade (the service also does it at start)",
        )
    else:
        yield Finding(Verdict.OK, "database", f"{path} is intact, schema current")


def last_recorded_event(config: Config) -> datetime | None:
    from store.repository import Store

    if not Path(config.database_url.removeprefix("sqlite:///")).exists():
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
    checks: list[Callable[[], Iterator[Finding]]] = [
        lambda: check_spi(config, host),
        lambda: check_groups(config, host),
    ]
    if wall_is_running(host):
        checks.append(
            lambda: iter(
                [
                    Finding(
                        Verdict.WARN,
                        "hardware",
                        "the wall is running and holds the readers, screen and LEDs: not checked",
                        "sudo systemctl stop wallboard, run the doctor, sudo systemctl start wallboard",
                    )
                ]
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
            yield Finding(Verdict.FAIL, "doctor", f"a check broke: {type(error).__name__}: {error}")
