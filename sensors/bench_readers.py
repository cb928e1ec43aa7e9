"""Reader benchmark on the emulated clock: our driver against the `mfrc522` package.

Everything runs on `sensors.emulated`, so the figures are SPI transfers and emulated
time, deterministic and the same on any machine. Three ways to read a slot:
- "rc522": this project's driver (readers.kind = "rc522");
- "mfrc522": the package behind our wrapper (readers.kind = "mfrc522");
- "mfrc522_tutorial": the package as the tutorials use it, SimpleMFRC522.read_id_no_block.
Both package variants run on the same emulated spidev; RPi.GPIO is stubbed only so
the package can be imported off a Pi, and the stub fails loudly if anything calls it.
"""

import sys
import types
from datetime import datetime

from sensors.emulated import EmulatedTag, EmulatedWall
from sensors.hardware import ReadersConfig
from sensors.mfrc522_package import package_chip_class

CARD = "04A1B2C3D4E5F6"  # NTAG21x on a polaroid, 7-byte UID
BADGE = "C0AC0001"  # MIFARE Classic coach badge, 4-byte UID
DRIVERS = ("rc522", "mfrc522", "mfrc522_tutorial")
WALL_SLOTS = 24


def import_mfrc522_package():
    """Import the `mfrc522` package here even off a Pi, with RPi.GPIO stubbed for the import only."""
    try:
        import mfrc522
    except RuntimeError:  # RPi.GPIO: "This module can only be run on a Raspberry Pi!"
        pass
    else:
        return mfrc522

    def refuse(name):
        raise AssertionError(f"RPi.GPIO.{name} called: the benchmark stubs RPi.GPIO for the import only")

    gpio = types.ModuleType("RPi.GPIO")
    gpio.__getattr__ = refuse
    rpi = types.ModuleType("RPi")
    rpi.GPIO = gpio
    saved = {name: sys.modules.get(name) for name in ("RPi", "RPi.GPIO")}
    sys.modules.update({"RPi": rpi, "RPi.GPIO": gpio})
    try:
        import mfrc522
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return mfrc522


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


def _slot(driver: str, *, overhead_s: float, speed_hz: int):
    """One reader on CE0 of an emulated bus, and its chip."""
    kind = "rc522" if driver == "rc522" else "mfrc522"
    config = ReadersConfig(kind=kind, spi_speed_hz=speed_hz, wiring={"slot": {"chip_select": "ce0"}})
    wall = EmulatedWall(config, call_overhead_s=overhead_s)
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
    return {"spi_transfers": round(transfers / polls, 1), "ms": round(seconds / polls * 1e3, 3), "seen_share": hits / polls}


def _same_tag(uid: str, reported: str) -> bool:
    return reported == uid or reported == EmulatedTag(uid).levels[0].hex().upper()


def per_poll(driver: str, overhead_s: float, speed_hz: int, polls: int) -> dict:
    """An empty slot, a slot with a card, and a coach badge held against the card."""
    wall, chip, reader = _slot(driver, overhead_s=overhead_s, speed_hz=speed_hz)
    empty = _polls(wall, reader, set(), 10)
    chip.place(CARD)
    wall.settle()
    card = _polls(wall, reader, {CARD}, polls)
    chip.place(BADGE)
    wall.settle()
    badge_on_card = _polls(wall, reader, {CARD, BADGE}, max(polls // 10, 1))
    reader.close()
    return {
        "empty_slot": {key: empty[key] for key in ("spi_transfers", "ms")},
        "card_7_byte_uid": {key: card[key] for key in ("spi_transfers", "ms")},
        "card_seen_share": card["seen_share"],
        "badge_and_card_both_seen_share": badge_on_card["seen_share"],
    }


def sweep_ms(occupied: int, *, overhead_s: float, speed_hz: int) -> float:
    """Emulated time of one steady-state sweep of a 24-slot wall on GPIO chip selects."""
    config = ReadersConfig(
        kind="rc522",
        spi_speed_hz=speed_hz,
        wiring={f"S{n}": {"chip_select": f"gpio{pin}"} for n, pin in enumerate(_free_gpio_pins(WALL_SLOTS))},
    )
    wall = EmulatedWall(config, call_overhead_s=overhead_s)
    for n, chip in enumerate(list(wall.chips.values())[:occupied]):
        chip.place(f"04{n:02X}B2C3D4E5F6")
    readers = wall.build_readers()
    wall.settle()
    for _ in range(2):  # bring-up, then the first halts
        for reader in readers.values():
            reader.poll()
    started = wall.clock.now()
    for reader in readers.values():
        reader.poll()
    elapsed = wall.clock.now() - started
    for reader in readers.values():
        reader.close()
    return round(elapsed * 1e3, 2)


def _free_gpio_pins(count: int) -> list[int]:
    spi0 = {7, 8, 9, 10, 11}
    return [pin for pin in range(2, 28) if pin not in spi0][:count]


def run(
    *,
    polls: int = 1000,
    overheads_us: tuple[int, ...] = (20, 50, 100, 200, 300),
    speed_hz: int = 4_000_000,
    sweep_speeds_hz: tuple[int, ...] = (1_000_000, 4_000_000, 8_000_000),
    sweep_overheads_us: tuple[int, ...] = (20, 100, 300),
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
    sweeps = {
        f"{hz // 1_000_000}MHz": {
            f"{us}us": {
                label: sweep_ms(occupied, overhead_s=us * 1e-6, speed_hz=hz)
                for label, occupied in (("empty", 0), ("half", WALL_SLOTS // 2), ("full", WALL_SLOTS))
            }
            for us in sweep_overheads_us
        }
        for hz in sweep_speeds_hz
    }
    package_sweeps = {
        f"{us}us": {
            "empty": round(WALL_SLOTS * per_driver["mfrc522"][f"{us}us"]["empty_slot"]["ms"], 1),
            "full": round(WALL_SLOTS * per_driver["mfrc522"][f"{us}us"]["card_7_byte_uid"]["ms"], 1),
        }
        for us in sweep_overheads_us
        if f"{us}us" in per_driver["mfrc522"]
    }
    min_seen = min(figures["card_seen_share"] for figures in ours.values())
    sweep_4mhz = sweeps.get("4MHz", {})
    return {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "clock": "emulated: each SPI transfer costs its bytes at the SPI speed plus the per-call overhead",
        "spi_speed_hz": speed_hz,
        "polls_per_share": polls,
        "per_poll": per_driver,
        "empty_slot_transfer_ratio_package_to_ours": empty_ratio,
        "sweep_24_slots_ms": sweeps,
        "sweep_24_slots_ms_mfrc522_projected_at_spi_speed": package_sweeps,
        "targets": {
            "card_seen_share_min": min_seen,
            "card_seen_on_99_9_percent_of_polls": min_seen >= 0.999,
            "empty_poll_at_least_20x_fewer_transfers": min(empty_ratio.values()) >= 20,
            "sweep_4mhz_within_50ms": {
                f"{us} {label}": ms <= 50 for us, by_load in sweep_4mhz.items() for label, ms in by_load.items()
            },
        },
    }
