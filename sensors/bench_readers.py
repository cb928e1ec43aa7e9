"""Reader benchmark on the emulated clock: our driver against the `mfrc522` package.

Everything runs on `sensors.emulated` with the chip and tags at the worst the datasheet
and ISO 14443-3 allow, and per-poll figures on a channel that breaks 1 % of the frames
each way (`FRAME_ERROR_RATE`). The figures are SPI transfers and emulated time,
deterministic and the same on any machine, except `host_cpu_ms`: the CPU this machine
spent on a sweep, driver and emulator together. Three ways to read a slot:
- "rc522": this project's driver (readers.kind = "rc522");
- "mfrc522": the package behind our wrapper (readers.kind = "mfrc522");
- "mfrc522_tutorial": the package as the tutorials use it, SimpleMFRC522.read_id_no_block.
And a 24-slot wall of "rc522" readers, swept as the scanner does it (radio frames of
different readers overlapping) and, for comparison, one reader after another.
Both package variants run on the same emulated spidev; RPi.GPIO is stubbed only so
the package can be imported off a Pi, and the stub fails loudly if anything calls it.
"""

import importlib
import sys
import time
import types
from datetime import datetime

from board.core.settings import Scanning
from sensors.emulated import WORST, EmulatedTag, EmulatedWall
from sensors.hardware import ReadersConfig
from sensors.mfrc522_package import package_chip_class
from sensors.rc522 import FULL_READ_EVERY_S
from sensors.sweep import poll_together

CARD = "04A1B2C3D4E5F6"  # NTAG21x on a polaroid, 7-byte UID
BADGE = "C0AC0001"  # MIFARE Classic coach badge, 4-byte UID
DRIVERS = ("rc522", "mfrc522", "mfrc522_tutorial")
WALL_SLOTS = 24
FRAME_ERROR_RATE = 0.01


def import_mfrc522_package():
    """Import the `mfrc522` package here even off a Pi, with RPi.GPIO stubbed for the import only."""
    return import_off_a_pi("mfrc522")


# RPi.GPIO's constants, which drivers read when they are imported.
_GPIO_CONSTANTS = {"BOARD": 10, "BCM": 11, "OUT": 0, "IN": 1, "HIGH": 1, "LOW": 0, "PUD_UP": 22, "FALLING": 32}


def import_off_a_pi(module_name: str):
    """Import a driver that imports RPi.GPIO, even off a Pi: RPi.GPIO is stubbed for the import
    only, and the stub fails loudly if anything calls it."""
    try:
        importlib.import_module("RPi.GPIO")
    except RuntimeError:  # "This module can only be run on a Raspberry Pi!"
        pass
    else:
        return importlib.import_module(module_name)

    def refuse(name):
        raise AssertionError(f"RPi.GPIO.{name} called: RPi.GPIO is stubbed for the import only")

    gpio = types.ModuleType("RPi.GPIO")
    gpio.__dict__.update(_GPIO_CONSTANTS)
    gpio.__getattr__ = refuse
    rpi = types.ModuleType("RPi")
    rpi.GPIO = gpio
    saved = {name: sys.modules.get(name) for name in ("RPi", "RPi.GPIO")}
    sys.modules.update({"RPi": rpi, "RPi.GPIO": gpio})
    try:
        return importlib.import_module(module_name)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _TutorialReader:
    """SimpleMFRC522.read_id_no_block on our SPI handle: the package exactly as tutorials poll."""

    def __init__(self, spi):
        simple_class = import_mfrc522_package().SimpleMFRC522
        self._simple = simple_class.__new__(simple_class)  # its __init__ would open spidev itself
        self._simple.READER = package_chip_class()(spi)

    def poll(self) -> frozenset[str]:
        number = self._simple.read_id_no_block()
        return frozenset() if number is None else frozenset({f"{number:010X}"})

    def close(self) -> None:
        return None


def _slot(driver: str, *, overhead_s: float, speed_hz: int, antenna_off_between_polls: bool = False):
    """One reader on CE0 of an emulated bus, and its chip, on a channel breaking FRAME_ERROR_RATE of the frames."""
    kind = "rc522" if driver == "rc522" else "mfrc522"
    config = ReadersConfig(
        kind=kind,
        spi_speed_hz=speed_hz,
        wiring={"slot": {"chip_select": "ce0"}},
        **({"antenna_off_between_polls": True} if antenna_off_between_polls else {}),
    )
    wall = EmulatedWall(config, call_overhead_s=overhead_s, behaviour=WORST.corrupted(FRAME_ERROR_RATE))
    if driver == "mfrc522_tutorial":
        spi = wall.spi_factory()
        spi.open(0, 0)
        spi.max_speed_hz = speed_hz
        reader = _TutorialReader(spi)
    else:
        reader = wall.build_readers()["slot"]
    wall.settle()
    reader.poll()  # bring-up
    return wall, wall.chips["slot"], reader


def _polls(wall, reader, uids: set[str], polls: int) -> dict:
    """Mean SPI transfers and emulated ms a poll, and the share of polls that see every tag in `uids`.

    A UID reported as its first cascade level (the tutorials' read_id) counts as seen.
    """
    hits, transfers, seconds = 0, 0, 0.0
    for _ in range(polls):
        before, started = wall.bus.transfers, wall.clock.now()
        seen = reader.poll()
        transfers += wall.bus.transfers - before
        seconds += wall.clock.now() - started
        hits += len(seen) >= len(uids) and all(any(_same_tag(uid, got) for got in seen) for uid in uids)
        wall.clock.advance(1e-3)  # the other readers' turn
    return {
        "spi_transfers": round(transfers / polls, 1),
        "ms": round(seconds / polls * 1e3, 3),
        "seen_share": hits / polls,
    }


def _same_tag(uid: str, reported: str) -> bool:
    return reported == uid or reported == EmulatedTag(uid).levels[0].hex().upper()


def per_poll(
    driver: str, overhead_s: float, speed_hz: int, polls: int, antenna_off_between_polls: bool = False
) -> dict:
    """An empty slot, a slot with a card, and a coach badge held against the card.

    The packages' badge-and-card share comes from a tenth of the polls (each costs 2,000
    transfers); ours from all of them, since 99.9 % needs a thousand.
    """
    wall, chip, reader = _slot(
        driver, overhead_s=overhead_s, speed_hz=speed_hz, antenna_off_between_polls=antenna_off_between_polls
    )
    empty = _polls(wall, reader, set(), 10)
    chip.place(CARD)
    wall.settle()
    card = _polls(wall, reader, {CARD}, polls)
    chip.place(BADGE)
    wall.settle()
    badge_on_card = _polls(wall, reader, {CARD, BADGE}, polls if driver == "rc522" else max(polls // 10, 1))
    reader.close()
    if wall.would_fail() and driver == "rc522":
        raise RuntimeError(f"our driver did what a real chip would punish: {wall.would_fail()[:3]}")
    return {
        "empty_slot": {key: empty[key] for key in ("spi_transfers", "ms")},
        "card_7_byte_uid": {key: card[key] for key in ("spi_transfers", "ms")},
        "badge_and_card": {key: badge_on_card[key] for key in ("spi_transfers", "ms")},
        "card_seen_share": card["seen_share"],
        "badge_and_card_both_seen_share": badge_on_card["seen_share"],
    }


# The wall's wiring in `sweep`: readers on 4-to-16 decoders on four address lines, each decoder
# enabled by a chip select the kernel drives, so a reader's frames share an SPI call. Up to 32
# readers: two decoders on CE0/CE1 (dtparam=spi=on). More: docs/readers.md's 48-slot wall, the
# coach pad on CE1, decoders on the two chip selects deploy/overlays/wallboard-spi0-4cs adds
# (GPIO 19, 26) and on CE0.
# "gpio_enables": as before that overlay, CE0 and GPIO enables (CE1 is the no_cs device): a
# call a frame for every reader past the first decoder.
WIRINGS = ("kernel_chip_selects", "gpio_enables")


def wall_wiring(slots: int, *, pad: bool, wiring: str = "kernel_chip_selects") -> dict:
    """ReadersConfig fields of a wall of `slots` (S0, S1, ...) and a coach pad on decoders wired as `wiring` says."""
    names = [f"S{n}" for n in range(slots)] + (["pad"] if pad else [])
    on_decoders = names if len(names) <= 32 or wiring == "gpio_enables" else names[:slots]
    decoders = (len(on_decoders) + 15) // 16
    if len(names) <= 32:
        enables, chip_selects = ["ce0", "ce1"][:decoders], {}
    elif wiring == "gpio_enables":
        enables, chip_selects = ["ce0", "gpio26", "gpio19", "gpio16"][:decoders], {}
    else:
        enables, chip_selects = ["ce2", "ce3", "ce0"][:decoders], {"spi0": [8, 7, 19, 26]}
    lines = {name: {"chip_select": f"decoder{n}"} for n, name in enumerate(on_decoders)}
    lines |= {name: {"chip_select": "ce1"} for name in names if name not in lines}
    return {
        "decoder": {"address_pins": [5, 6, 13, 12], "enable": enables},
        "wiring": lines,
        **({"kernel_chip_selects": chip_selects} if chip_selects else {}),
    }


def sweep(
    occupied: int,
    *,
    overhead_s: float,
    speed_hz: int,
    together: bool = True,
    antenna_off_between_polls: bool = False,
    slots: int = WALL_SLOTS,
    pad: bool = False,
    uids_read: bool = False,
    wiring: str = "kernel_chip_selects",
    cards_rechecked: bool = True,
    card_put_on: bool = False,
) -> dict:
    """One steady-state sweep of a wall of `slots` (and a coach pad) on 4-to-16 decoders wired as
    `wiring` says (`wall_wiring`), `occupied` slots with a card.

    Steady state: each card was seen on the last sweep, so its reader checks it (three
    frames) unless `uids_read` (every reader reads every UID in full, as after a change
    or every FULL_READ_EVERY_S). Without `cards_rechecked` only the readers without a card
    are polled, as in a quiet wall's sweeps between re-checks (`sensors.scanner`).
    `card_put_on`: a card put on the first empty reader (a slot, or the pad of a full wall)
    just before the sweep, which reads its UID. `together` sweeps as the scanner does (`poll_together`,
    which polls readers with the antenna off between polls one at a time anyway);
    otherwise the readers are polled one after another. `bus_busy_ms` is the SPI time
    alone: its bytes plus the per-call overhead of every call, the floor of a sweep
    however the radio overlaps. The channel is clean here, so the sweep must read every
    card exactly.
    """
    config = ReadersConfig(
        kind="rc522",
        antenna_off_between_polls=antenna_off_between_polls,
        spi_speed_hz=speed_hz,
        **wall_wiring(slots, pad=pad, wiring=wiring),
    )
    wall = EmulatedWall(config, call_overhead_s=overhead_s)
    cards = {f"S{n}": f"04{n:02X}B2C3D4E5F6" for n in range(occupied)}
    for slot, uid in cards.items():
        wall.chips[slot].place(uid)
    readers = wall.build_readers()
    wall.settle()

    def sweep_once(polled: dict) -> dict:
        if together:
            return poll_together(polled)
        return {slot: reader.poll() for slot, reader in polled.items()}

    for _ in range(2):  # bring-up, then the first checks
        sweep_once(readers)
    if uids_read:
        wall.clock.advance(FULL_READ_EVERY_S)
    polled = readers if cards_rechecked else {name: reader for name, reader in readers.items() if name not in cards}
    if card_put_on:
        empty = next(name for name in readers if name not in cards)
        cards[empty] = "04FFB2C3D4E5F6"
        wall.chips[empty].place(cards[empty])
        wall.settle()
    started, transfers, sent = wall.clock.now(), wall.transfers, wall.bytes
    cpu_started = time.process_time()
    seen = sweep_once(polled)
    cpu_s = time.process_time() - cpu_started
    elapsed = wall.clock.now() - started
    transfers, sent = wall.transfers - transfers, wall.bytes - sent
    for reader in readers.values():
        reader.close()
    if seen != {name: frozenset({cards[name]} if name in cards else ()) for name in polled}:
        raise RuntimeError(f"the benchmark wall was misread: {seen}")
    if wall.would_fail():
        raise RuntimeError(f"our driver did what a real chip would punish: {wall.would_fail()[:3]}")
    return {
        "ms": round(elapsed * 1e3, 1),
        "spi_transfers": transfers,
        "bus_busy_ms": round((transfers * overhead_s + sent * 8 / speed_hz) * 1e3, 1),
        "host_cpu_ms": round(cpu_s * 1e3, 1),
    }


# What one Python spidev call (an xfer2, or one SPI_IOC_MESSAGE ioctl) costs on each Pi, the
# kernel's part and Python's together; all CPU time, as the call does not sleep. A projection.
PER_CALL_US = {
    "pi_zero_2_w": (300, "issue 15 (published spidev timings): 200-300 us on a Pi 3 or Zero 2 W; the upper end"),
    "pi_3": (250, "issue 15 (published spidev timings): 200-300 us on a Pi 3 or Zero 2 W; the middle"),
    "pi_4": (100, "issue 15 (published spidev timings): about 100 us on a Pi 4"),
    "pi_5": (60, "assumed, not measured: no published figure found; a Pi 5 runs Python about 2x a Pi 4"),
}
WALLS = {"24_slots": 24, "48_slots": 48}
LOADS = {"typical": 0.75, "full": 1.0}  # share of the slots holding a card (the 18 of 24)


# The quiet walls the projection reports: as shipped, and as a technician may set a large wall
# (`recheck_cards_every`, docs/readers.md) to meet the 15 % goal on a Pi 3.
QUIET_SETTINGS = {"default": Scanning().recheck_cards_every, "recheck_cards_every_0.5": 0.5}


def _sweeps_between_rechecks(checks: dict, between: dict, pause: float, recheck_s: float) -> int:
    """How many quiet sweeps leave the cards out after a sweep that re-checked them: those
    starting less than `recheck_s` (`recheck_cards_every`) after it (`sensors.scanner`)."""
    since_ms, sweeps = checks["ms"] + pause * 1e3, 0
    while since_ms < recheck_s * 1e3:
        sweeps += 1
        since_ms += between["ms"] + pause * 1e3
    return sweeps


def _share_of_a_core(checks: dict, reads: dict, pause: float, between: dict | None = None, left_out: int = 0) -> float:
    """Percent of a core: sweeps of checks with a sweep reading every UID every FULL_READ_EVERY_S,
    each followed by `pause` and by `left_out` sweeps of `between` (a quiet wall's sweep of its
    empty readers) that leave the cards out until their next re-check; the SPI time is all CPU."""
    between_ms, between_busy_ms = (between["ms"], between["bus_busy_ms"]) if between else (0.0, 0.0)
    cycle_ms = checks["ms"] + pause * 1e3 + left_out * (between_ms + pause * 1e3)
    uid_share = min(1.0, cycle_ms / (FULL_READ_EVERY_S * 1e3))
    busy_ms = (1 - uid_share) * checks["bus_busy_ms"] + uid_share * reads["bus_busy_ms"]
    busy_ms += left_out * between_busy_ms
    return round(100 * busy_ms / cycle_ms, 1)


def polling_projection(speed_hz: int = 4_000_000) -> dict:
    """Projected CPU of the scanner polling a real wall (and its pad), by Pi, at the default pauses.

    From emulated sweeps at each Pi's per-call cost: a check sweep (every card seen last
    time), a sweep reading every UID, and a sweep of the empty readers only. Quiet, under
    each of QUIET_SETTINGS (each names its `recheck_cards_every`): the idle pause, the
    empty readers polled every sweep, the cards every sweep (the default, 0) or once
    `recheck_cards_every` passed since their last poll, and their UIDs read every
    FULL_READ_EVERY_S. Busy: every reader every sweep at the fast pause (cards moving
    somewhere on the wall), whatever the setting. Busy, every UID read: each sweep reads
    every UID, the upper bound. CPU share = SPI time (all CPU) / (sweeps + pauses). Bounds
    of what a user waits for on a quiet wall, each sweep at its slowest:
    `card_seen_within_ms`, a card put on an empty slot just after its reader looked, until
    the scanner reports it (the rest of that sweep, the idle pause, the sweep that sees it,
    then `present_after_seconds` at fast sweeps); `card_gone_within_ms`, a card taken off
    just after its re-check, until the scanner reports it gone (the rest of that sweep, the
    sweeps that leave it out, the first miss, then `gone_after_seconds` of misses at fast
    sweeps).
    """
    defaults = Scanning()
    fast, idle = defaults.poll_interval, max(defaults.poll_interval, defaults.idle_poll_interval)
    result: dict = {
        "per_call_us_assumed": {pi: {"us": us, "source": source} for pi, (us, source) in PER_CALL_US.items()},
        "pauses_s": {"busy": fast, "quiet": idle, "uid_read_every": FULL_READ_EVERY_S},
        "quiet_settings": {
            name: {
                "recheck_cards_every": recheck_s,
                "means": (
                    f"on a quiet wall a card is re-checked once {recheck_s:g} s passed since its last poll, "
                    "an empty slot every sweep"
                    if recheck_s
                    else "every quiet sweep re-checks every card"
                ),
            }
            for name, recheck_s in QUIET_SETTINGS.items()
        },
        "wiring": (
            "4-to-16 decoders, each enabled by a chip select the kernel drives: CE0/CE1 (24 slots and the pad); "
            "CE0 and spidev0.2/0.3 of deploy/overlays/wallboard-spi0-4cs, the pad on CE1 (48 slots). "
            "'_gpio_enables': 48 slots as before that overlay, CE0 and three GPIO enables (16 of 49 readers batch)"
        ),
    }

    def quiet(how: dict, occupied: int, sweeps: dict, recheck_s: float) -> dict:
        """The quiet wall's CPU and what a user waits for, cards re-checked every `recheck_s`."""
        checks, reads, between, reads_seeing = (sweeps[kind] for kind in ("checks", "reads", "between", "reads_seeing"))
        left_out = _sweeps_between_rechecks(checks, between, idle, recheck_s)
        # The sweep a card was put in, the one that sees it and the fast one that reports it span
        # well under FULL_READ_EVERY_S: a reader reads its card's UID in one of them at most. The
        # first two: one re-checks the cards, the other leaves them out, in either order (without
        # left-out sweeps, both re-check).
        if left_out:
            between_seeing = sweep(occupied, cards_rechecked=False, card_put_on=True, **how)
            two_sweeps_ms = max(reads["ms"] + between_seeing["ms"], between["ms"] + reads_seeing["ms"])
        else:
            two_sweeps_ms = checks["ms"] + reads_seeing["ms"]
        present_after_ms = max(fast, defaults.present_after_seconds) * 1e3 + checks["ms"]
        to_first_miss_ms = checks["ms"] + idle * 1e3 + left_out * (between["ms"] + idle * 1e3)
        gone_after_ms = (defaults.gone_after_seconds + fast) * 1e3 + checks["ms"] + reads["ms"]
        return {
            "recheck_cards_every": recheck_s,
            "cpu_percent": _share_of_a_core(checks, reads, idle, between, left_out),
            "sweeps_leaving_the_cards_out": left_out,
            "card_seen_within_ms": round(two_sweeps_ms + idle * 1e3 + present_after_ms, 1),
            "card_gone_within_ms": round(to_first_miss_ms + gone_after_ms, 1),
        }

    def by_pi(slots: int, occupied: int, wiring: str) -> dict:
        figures = {}
        for pi, (us, _source) in PER_CALL_US.items():
            how = {"overhead_s": us * 1e-6, "speed_hz": speed_hz, "slots": slots, "pad": True, "wiring": wiring}
            sweeps = {
                "checks": sweep(occupied, **how),
                "reads": sweep(occupied, uids_read=True, **how),
                "between": sweep(occupied, cards_rechecked=False, **how),
                "reads_seeing": sweep(occupied, uids_read=True, card_put_on=True, **how),
            }
            checks, reads, between = sweeps["checks"], sweeps["reads"], sweeps["between"]
            figures[pi] = {
                **{
                    f"quiet_{name}": quiet(how, occupied, sweeps, recheck_s)
                    for name, recheck_s in QUIET_SETTINGS.items()
                },
                "cpu_percent_busy": _share_of_a_core(checks, reads, fast),
                "cpu_percent_busy_every_uid_read": _share_of_a_core(reads, reads, fast),
                "sweep_ms_checks": checks["ms"],
                "sweep_ms_every_uid_read": reads["ms"],
                "sweep_ms_cards_left_out": between["ms"],
                "spi_calls_checks": checks["spi_transfers"],
                "spi_calls_every_uid_read": reads["spi_transfers"],
                "spi_calls_cards_left_out": between["spi_transfers"],
            }
        return figures

    for wall_name, slots in WALLS.items():
        for load_name, share in LOADS.items():
            occupied = round(slots * share)
            result[f"{wall_name}_{load_name}_{occupied}_cards"] = by_pi(slots, occupied, "kernel_chip_selects")
    typical_48 = round(WALLS["48_slots"] * LOADS["typical"])
    result[f"48_slots_typical_{typical_48}_cards_gpio_enables"] = by_pi(WALLS["48_slots"], typical_48, "gpio_enables")
    walls = {wall: figures for wall, figures in result.items() if wall.endswith("_cards")}
    result["targets"] = {
        f"quiet_{name}": {
            "recheck_cards_every": recheck_s,
            "quiet_within_15_percent_of_a_pi_3_core": {
                wall: figures["pi_3"][f"quiet_{name}"]["cpu_percent"] <= 15 for wall, figures in walls.items()
            },
            "card_seen_within_500_ms": {
                wall: max(pi[f"quiet_{name}"]["card_seen_within_ms"] for pi in figures.values()) <= 500
                for wall, figures in walls.items()
            },
        }
        for name, recheck_s in QUIET_SETTINGS.items()
    }
    return result


def run(
    *,
    polls: int = 1000,
    overheads_us: tuple[int, ...] = (20, 50, 100, 200, 300),
    speed_hz: int = 4_000_000,
    sweep_speeds_hz: tuple[int, ...] = (1_000_000, 4_000_000, 8_000_000),
    sweep_overheads_us: tuple[int, ...] = (20, 50, 100, 200, 300),
) -> dict:
    """All figures as JSON-able data; `wallboard bench` puts them under "readers"."""
    import_mfrc522_package()
    per_driver = {
        driver: {f"{us}us": per_poll(driver, us * 1e-6, speed_hz, polls) for us in overheads_us} for driver in DRIVERS
    }
    ours, package = per_driver["rc522"], per_driver["mfrc522_tutorial"]
    empty_ratio = {
        key: round(package[key]["empty_slot"]["spi_transfers"] / ours[key]["empty_slot"]["spi_transfers"], 1)
        for key in ours
    }

    def sweeps(hz: int, **how) -> dict:
        return {
            f"{us}us": {
                label: sweep(occupied, overhead_s=us * 1e-6, speed_hz=hz, **how)
                for label, occupied in (("empty", 0), ("half", WALL_SLOTS // 2), ("full", WALL_SLOTS))
            }
            for us in sweep_overheads_us
        }

    together = {f"{hz // 1_000_000}MHz": sweeps(hz) for hz in sweep_speeds_hz}
    one_at_a_time = sweeps(speed_hz, together=False)
    every_uid_read = {
        f"{us}us": sweep(WALL_SLOTS, overhead_s=us * 1e-6, speed_hz=speed_hz, uids_read=True)
        for us in sweep_overheads_us
    }
    antenna_off = sweeps(speed_hz, antenna_off_between_polls=True)
    antenna_off_per_poll = {f"{us}us": per_poll("rc522", us * 1e-6, speed_hz, polls, True) for us in overheads_us}
    package_sweeps = {
        f"{us}us": {
            "empty": round(WALL_SLOTS * per_driver["mfrc522"][f"{us}us"]["empty_slot"]["ms"], 1),
            "full": round(WALL_SLOTS * per_driver["mfrc522"][f"{us}us"]["card_7_byte_uid"]["ms"], 1),
        }
        for us in sweep_overheads_us
        if f"{us}us" in per_driver["mfrc522"]
    }
    min_seen = min(figures["card_seen_share"] for figures in (*ours.values(), *antenna_off_per_poll.values()))
    min_both_seen = min(
        figures["badge_and_card_both_seen_share"] for figures in (*ours.values(), *antenna_off_per_poll.values())
    )
    sweep_4mhz = together.get("4MHz", {})
    return {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "clock": "emulated: each SPI transfer costs its bytes at the SPI speed plus the per-call overhead",
        "chip": "worst case the datasheet and ISO 14443-3 allow (sensors.emulated.WORST)",
        "per_poll_frame_error_rate": FRAME_ERROR_RATE,
        "spi_speed_hz": speed_hz,
        "polls_per_share": polls,
        "per_poll": per_driver,
        "empty_slot_transfer_ratio_package_to_ours": empty_ratio,
        "sweep_24_slots": together,
        "sweep_24_slots_full_every_uid_read_at_spi_speed": every_uid_read,
        "sweep_24_slots_ms_one_reader_at_a_time_at_spi_speed": {
            us: {label: figures["ms"] for label, figures in by_load.items()} for us, by_load in one_at_a_time.items()
        },
        "sweep_24_slots_ms_mfrc522_projected_at_spi_speed": package_sweeps,
        "per_poll_rc522_antenna_off_between_polls": antenna_off_per_poll,
        "sweep_24_slots_antenna_off_between_polls_at_spi_speed": antenna_off,
        "targets": {
            "card_seen_share_min": min_seen,
            "card_seen_on_99_9_percent_of_polls": min_seen >= 0.999,
            "badge_and_card_both_seen_share_min": min_both_seen,
            "badge_and_card_both_seen_on_99_9_percent_of_polls": min_both_seen >= 0.999,
            "empty_poll_at_least_20x_fewer_transfers": min(empty_ratio.values()) >= 20,
            "full_sweep_at_200us_a_call_within_50ms": {
                "cards_checked": sweep_4mhz.get("200us", {}).get("full", {}).get("ms", float("inf")) <= 50,
                "every_uid_read": every_uid_read.get("200us", {}).get("ms", float("inf")) <= 50,
            },
            "sweep_4mhz_within_50ms": {
                f"{us} {label}": figures["ms"] <= 50
                for us, by_load in sweep_4mhz.items()
                for label, figures in by_load.items()
            },
        },
    }
