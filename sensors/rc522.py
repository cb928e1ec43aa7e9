"""MFRC522 (RC522) driver for walls of many readers on one SPI bus.

The bus side (`SpiBus`, `RegisterBus`) only moves register values; `Rc522Reader`
holds the ISO 14443-A logic and never sees bytes on the wire. Both take their
hardware as parameters (a spidev-like object with `xfer2`, a chip select, a clock)
so the same code runs against a real bus or `sensors.emulated`.

Why not the `mfrc522` package for a wall (see docs/readers.md): it waits 2,000
register reads on an empty slot, reads only the first cascade level of a UID, and
owns its spidev device and GPIO mode. Here an empty slot costs one ~1 ms timer,
UIDs are read through every cascade level, and every tag in the field is listed.
"""

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from board.errors import ReaderFault
from sensors import mfrc522_regs as r
from sensors.chipselect import ChipSelect, ResetLine, SharedDevice
from sensors.mfrc522_regs import Reg

# Timer tick 25 us (prescaler 169). A tag answers 86-91 us after our frame ends and the
# timer stops as soon as the answer starts (~140 us), so 1 ms leaves a wide margin and
# an empty slot gives up after 1 ms instead of the package's 15 ms.
TIMER_PRESCALER = 169
ANSWER_TIMEOUT_S = 1e-3
TIMER_RELOAD = round(ANSWER_TIMEOUT_S / r.timer_period_s(TIMER_PRESCALER, 0)) - 1
# If no interrupt at all arrives within this, the chip is gone: longest frame + timer + answer, twice.
CHIP_SILENT_AFTER_S = 5e-3
IRQ_POLL_INTERVAL_S = 100e-6  # between status reads while a frame is on air; frees the CPU
IRQ_PIN_POLL_INTERVAL_S = 20e-6  # between looks at the IRQ pin: no SPI, so look more often
RESET_POLL_INTERVAL_S = 200e-6
RESET_TIMEOUT_S = 5e-3
MAX_TAGS_PER_FIELD = 8  # a badge on a polaroid is two; more is a pile of cards
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 8.0
# Switching the field off resets every tag in it; a tag then needs power before it answers.
# ISO 14443 lets a tag take up to 5 ms; raise readers.tag_power_up_ms if cards are missed.
FIELD_RESET_S = 1e-3
TAG_POWER_UP_S = 2.5e-3

# Read together after every frame. VERSION and T_RELOAD_LO cost one byte each and catch a
# chip that answers noise, or that lost its settings to a brown-out, on the spot.
_STATUS_REGISTERS = (Reg.COM_IRQ, Reg.ERROR, Reg.FIFO_LEVEL, Reg.CONTROL, Reg.COLL, Reg.VERSION, Reg.T_RELOAD_LO)
_GARBLED = r.ERR_BUFFER_OVERFLOW | r.ERR_PARITY | r.ERR_PROTOCOL | r.ERR_CRC
_IRQ_ENABLE = r.IRQ_RX | r.IRQ_IDLE | r.IRQ_TIMER  # what _wait_for waits for, so the IRQ pin means "look now"


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time; tests and the benchmark pass `sensors.emulated.EmulatedClock` instead."""

    @staticmethod
    def now() -> float:
        return time.monotonic()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)


class SpiBus(SharedDevice):
    """One spidev handle; readers on it transfer one at a time, each under its own chip select."""

    def __init__(self, spi, *, label: str, reset_line: ResetLine | None = None):
        super().__init__()
        self.label = label
        self._spi = spi
        self._reset_line = reset_line.attach() if reset_line else None
        self._lock = threading.Lock()

    def transfer(self, chip_select: ChipSelect, data: list[int]) -> list[int]:
        with self._lock, chip_select:
            return list(self._spi.xfer2(data))

    def _release(self) -> None:
        self._spi.close()
        if self._reset_line is not None:
            self._reset_line.detach()


class RegisterBus:
    """Register reads and writes of one chip over SPI (datasheet 8.1.2)."""

    def __init__(self, bus: SpiBus, chip_select: ChipSelect):
        self._bus = bus.attach()
        self._chip_select = chip_select
        self.label = f"{bus.label} {chip_select.label}"
        self._closed = False

    def write(self, register: int, *values: int) -> None:
        """Write one register; several values go to the same register (the FIFO) in one transfer."""
        self._bus.transfer(self._chip_select, [r.spi_address(register, read=False), *values])

    def read(self, *registers: int) -> list[int]:
        """Read several registers in one transfer: each byte sent names the next one to read."""
        mosi = [r.spi_address(register, read=True) for register in registers] + [0]
        return self._bus.transfer(self._chip_select, mosi)[1:]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._chip_select.close()
            self._bus.detach()


@dataclass(frozen=True)
class _Status:
    irq: int
    error: int
    fifo_level: int
    rx_last_bits: int
    coll: int


@dataclass(frozen=True)
class _Answer:
    data: bytes
    bits: int  # valid bits from bit 0 of data[0], RxAlign bits included
    collision_bit: int | None  # first colliding bit, counted like `bits`
    garbled: bool


class Rc522Reader:
    """One MFRC522 behind a slot or the coach pad; implements `sensors.base.Reader`.

    The chip is brought up (soft reset, version check, timer) on the first poll, and
    again after a fault, with a growing pause between failed attempts so a dead
    reader costs the others nothing.
    """

    def __init__(
        self,
        reader_id: str,
        registers: RegisterBus,
        *,
        clock: Clock | None = None,
        irq=None,
        antenna_off_between_polls: bool = False,
        tag_power_up_s: float = TAG_POWER_UP_S,
    ):
        self.reader_id = reader_id
        self.wiring = registers.label
        self._fault_prefix = f"{reader_id} ({self.wiring}): "
        self.chip_version: str | None = None
        self._registers = registers
        self._clock = clock or SystemClock()
        self._irq = irq  # gpiozero DigitalInputDevice on the chip's IRQ pin, or None to poll ComIrqReg
        self._antenna_off_between_polls = antenna_off_between_polls
        self._tag_power_up_s = tag_power_up_s
        self._version: int | None = None
        self._field_off_at = float("-inf")
        self._fifo_dirty = True  # a late answer may sit in the FIFO after a timeout
        self._halt_on_air_until: float | None = None
        self._command = r.Command.IDLE
        self._retry_at = 0.0
        self._retry_pause_s = 0.0
        self._last_fault = ""
        self._closed = False

    def __repr__(self) -> str:
        return f"Rc522Reader({self.reader_id!r}, {self.wiring})"

    # --- Reader

    def poll(self) -> frozenset[str]:
        if self._closed:
            raise self._fault("reader is closed")
        now = self._clock.now()
        if self._version is None and now < self._retry_at:
            raise self._fault(f"offline ({self._last_fault}); next try in {self._retry_at - now:.2f} s")
        try:
            if self._version is None:
                self._bring_up()
            uids = self._read_field()
        except ReaderFault as fault:
            self._went_down(fault)
            raise
        except OSError as error:  # the SPI transfer itself failed (spidev ioctl)
            fault = self._fault(f"SPI transfer failed: {error}")
            self._went_down(fault)
            raise fault from error
        return uids

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._registers.close()
        if self._irq is not None:
            self._irq.close()

    def __enter__(self) -> "Rc522Reader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- bring-up and faults

    def _fault(self, message: str) -> ReaderFault:
        return ReaderFault(f"{self._fault_prefix}{message}")

    def _bring_up(self) -> None:
        self._registers.write(Reg.COMMAND, r.Command.SOFT_RESET)
        self._field_off_at = self._clock.now()  # a reset switches the antenna off
        deadline = self._clock.now() + RESET_TIMEOUT_S
        while self._registers.read(Reg.COMMAND)[0] & r.COMMAND_POWER_DOWN:
            if self._clock.now() > deadline:
                raise self._fault("chip did not come out of soft reset")
            self._clock.sleep(RESET_POLL_INTERVAL_S)
        version = self._registers.read(Reg.VERSION)[0]
        if version in r.NO_CHIP_VERSIONS:
            raise self._fault(f"no chip answers (version register reads 0x{version:02X}); check wiring and power")
        if version not in r.KNOWN_VERSIONS:
            raise self._fault(f"not an MFRC522: version register reads 0x{version:02X}")
        timer = (
            (Reg.T_MODE, r.T_MODE_AUTO | TIMER_PRESCALER >> 8),
            (Reg.T_PRESCALER, TIMER_PRESCALER & 0xFF),
            (Reg.T_RELOAD_HI, TIMER_RELOAD >> 8),
            (Reg.T_RELOAD_LO, TIMER_RELOAD & 0xFF),
        )
        for register, value in (
            *timer,
            (Reg.TX_ASK, r.TX_ASK_FORCE_100),
            (Reg.MODE, r.MODE_CRC_PRESET_6363),
            (Reg.COLL, 0x00),  # bits after a collision read as 0
            (Reg.COM_IEN, _IRQ_ENABLE),
            (Reg.DIV_IEN, r.DIV_IEN_PUSH_PULL),
        ):
            self._registers.write(register, value)
        if self._registers.read(*(register for register, _ in timer)) != [value for _, value in timer]:
            raise self._fault("register writes do not stick; the chip answers garbage")
        self._command = r.Command.IDLE
        self._fifo_dirty = False  # SoftReset emptied it
        self._halt_on_air_until = None
        if not self._antenna_off_between_polls:
            self._power_field()
        self._version = version
        self.chip_version = f"{r.KNOWN_VERSIONS[version]} (0x{version:02X})"

    def _went_down(self, fault: ReaderFault) -> None:
        """Forget the chip; after a fault while up retry at once, after a failed bring-up back off."""
        if self._version is not None:
            self._retry_pause_s = 0.0
        else:
            self._retry_pause_s = min(max(self._retry_pause_s * 2, RETRY_FIRST_S), RETRY_MAX_S)
        self._version = None
        self.chip_version = None
        self._last_fault = str(fault).removeprefix(self._fault_prefix)
        self._retry_at = self._clock.now() + self._retry_pause_s

    def _set_antenna(self, on: bool) -> None:
        self._registers.write(Reg.TX_CONTROL, 0x80 | (r.TX_CONTROL_ANTENNA if on else 0))
        if not on:
            self._field_off_at = self._clock.now()

    # --- talking to the chip

    def _status(self) -> _Status:
        irq, error, level, control, coll, version, reload = self._registers.read(*_STATUS_REGISTERS)
        if version in r.NO_CHIP_VERSIONS:
            raise self._fault(f"stopped answering (version register reads 0x{version:02X})")
        if version != self._version:
            raise self._fault(f"answers garbage (version register 0x{version:02X}, was 0x{self._version:02X})")
        if reload != TIMER_RELOAD & 0xFF:
            raise self._fault("chip was reset (brown-out or power cut?); bringing it up again")
        if level > r.FIFO_SIZE:
            raise self._fault(f"answers garbage (FIFO level {level})")
        return _Status(irq, error, level, control & r.CONTROL_RX_LAST_BITS, coll)

    def _wait_for(self, irq_mask: int, *, on_air_s: float) -> _Status:
        """Wait until the chip raises one of `irq_mask`; its own timer bounds the wait.

        Nothing can happen before the frames are on air for `on_air_s`, so the first
        status read waits that long.
        """
        deadline = self._clock.now() + CHIP_SILENT_AFTER_S
        self._clock.sleep(on_air_s)
        while True:
            if self._irq is not None:
                while not self._irq.is_active and self._clock.now() <= deadline:
                    self._clock.sleep(IRQ_PIN_POLL_INTERVAL_S)
            status = self._status()
            if status.irq & irq_mask:
                return status
            if self._clock.now() > deadline:
                raise self._fault("no interrupt from the chip; it stopped answering")
            self._clock.sleep(IRQ_POLL_INTERVAL_S)

    def _send(self, frame: bytes, *, last_bits: int = 0, rx_align: int = 0, command=r.Command.TRANSCEIVE) -> None:
        if self._halt_on_air_until is not None:
            # The last HLTA may still be on air; the FIFO and IRQ bits are its until it is out.
            self._wait_for(r.IRQ_IDLE, on_air_s=max(0.0, self._halt_on_air_until - self._clock.now()))
            self._halt_on_air_until = None
        self._registers.write(Reg.COM_IRQ, r.IRQ_ALL)
        if self._fifo_dirty:
            self._registers.write(Reg.FIFO_LEVEL, r.FIFO_FLUSH)
            self._fifo_dirty = False
        self._registers.write(Reg.FIFO_DATA, *frame)
        framing = (rx_align << 4) | last_bits
        if command == r.Command.TRANSCEIVE:
            if self._command != command:
                self._registers.write(Reg.COMMAND, command)
                self._command = command
            self._registers.write(Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | framing)
        else:
            self._registers.write(Reg.BIT_FRAMING, framing)
            self._registers.write(Reg.COMMAND, command)
            self._command = r.Command.IDLE  # Transmit returns to Idle when the frame is out

    def _transceive(self, frame: bytes, *, answer_bits: int, last_bits: int = 0, rx_align: int = 0) -> _Answer | None:
        """Send a frame and return the answer, or None when the timer ran out (no tag answered)."""
        self._send(frame, last_bits=last_bits, rx_align=rx_align)
        tx_bits = len(frame) * 8 - (8 - last_bits if last_bits else 0)
        on_air_s = r.frame_time_s(tx_bits) + r.FRAME_DELAY_S + r.frame_time_s(answer_bits)
        status = self._wait_for(r.IRQ_RX | r.IRQ_TIMER, on_air_s=on_air_s)
        if not status.irq & r.IRQ_RX:
            self._fifo_dirty = True
            return None
        data = bytes(self._registers.read(*[Reg.FIFO_DATA] * status.fifo_level)) if status.fifo_level else b""
        bits = (len(data) - 1) * 8 + status.rx_last_bits if status.rx_last_bits else len(data) * 8
        collision_bit = None
        garbled = bool(status.error & _GARBLED) or not data
        if status.error & r.ERR_COLLISION:
            if status.coll & r.COLL_POS_NOT_VALID:
                garbled = True
            else:
                collision_bit = ((status.coll & r.COLL_POS_MASK) or 32) - 1
        return _Answer(data, bits, collision_bit, garbled)

    # --- ISO 14443-3 type A

    def _read_field(self) -> frozenset[str]:
        """Every tag in the field, cheaply when there is one.

        WUPA wakes a lone tag whether we halted it last poll or it just arrived. When
        several answer, the ones woken from HALT would fall back to HALT on the first
        frame not meant for them and ignore REQA, so the field is reset and the tags
        are listed from IDLE: REQA, read one, halt it, ask who is left.
        """
        if self._antenna_off_between_polls:
            self._power_field()
            uids = self._read_idle_tags()
            self._set_antenna(False)
            return uids
        if self._request(r.WUPA) is None:
            return frozenset()
        uid, alone = self._read_uid(select_last_level=False)
        if uid is not None and alone:
            # A lone tag left READY drops to IDLE on HLTA, one left ACTIVE sleeps in HALT:
            # either way the next WUPA wakes it instead of it ignoring one request.
            self._halt()
            return frozenset({uid})
        self._set_antenna(False)
        self._power_field()
        return self._read_idle_tags()

    def _power_field(self) -> None:
        """Field on, once it has been off long enough to reset every tag; then let them power up."""
        off_for = self._clock.now() - self._field_off_at
        if off_for < FIELD_RESET_S:
            self._clock.sleep(FIELD_RESET_S - off_for)
        self._set_antenna(True)
        self._clock.sleep(self._tag_power_up_s)

    def _read_idle_tags(self) -> frozenset[str]:
        uids: set[str] = set()
        for _ in range(MAX_TAGS_PER_FIELD):
            if self._request(r.REQA) is None:
                break
            uid, _ = self._read_uid(select_last_level=True)
            if uid is not None:
                uids.add(uid)
            self._halt()
        return frozenset(uids)

    def _read_uid(self, *, select_last_level: bool) -> tuple[str | None, bool]:
        """Anticollision through the cascade levels; `alone` says no other tag answered with it.

        The last level is selected only when asked (to halt just this tag) or when
        other tags answered too; a lone tag's UID is complete without it.
        """
        uid = bytearray()
        alone = True
        for select_code in r.CASCADE_LEVELS:
            level, collided = self._anticollision(select_code)
            if level is None:
                return None, False
            alone = alone and not collided
            more = level[0] == r.CASCADE_TAG
            if more or select_last_level or not alone:
                sak = self._select(select_code, level)
                if sak is None or bool(sak & r.SAK_UID_NOT_COMPLETE) != more:
                    return None, False
            uid += level[1:4] if more else level[:4]
            if not more:
                return uid.hex().upper(), alone
        return None, False  # a fourth cascade level does not exist: a garbled read

    def _anticollision(self, select_code: int) -> tuple[bytes | None, bool]:
        """The 40 bits of one cascade level, resolving collisions bit by bit (ISO 14443-3 6.5.3)."""
        known = bytearray(5)
        known_bits = 0
        collided = False
        while True:
            full, extra = divmod(known_bits, 8)
            frame = bytes([select_code, r.nvb(known_bits)]) + known[: full + (1 if extra else 0)]
            answer = self._transceive(
                frame, answer_bits=r.UID_BITS_PER_LEVEL - known_bits, last_bits=extra, rx_align=extra
            )
            if answer is None or answer.garbled or full + len(answer.data) > len(known):
                return None, collided
            for i, byte in enumerate(answer.data):
                if i == 0:
                    byte = (known[full] & ((1 << extra) - 1)) | (byte & (0xFF << extra) & 0xFF)
                known[full + i] = byte
            if answer.collision_bit is None:
                if full * 8 + answer.bits != r.UID_BITS_PER_LEVEL or r.bcc(known[:4]) != known[4]:
                    return None, collided
                return bytes(known), collided
            position = full * 8 + answer.collision_bit
            if not known_bits <= position < 32:
                return None, collided
            # Keep the bits up to the collision and follow the tags whose next bit is 1.
            byte, bit = divmod(position, 8)
            known[byte] = (known[byte] & ((1 << bit) - 1)) | (1 << bit)
            known[byte + 1 :] = bytes(len(known) - byte - 1)
            known_bits = position + 1
            collided = True

    def _request(self, command: int) -> _Answer | None:
        """REQA or WUPA: any answer, even a garbled or colliding ATQA, means a tag is there."""
        return self._transceive(bytes([command]), answer_bits=16, last_bits=r.SHORT_FRAME_BITS)

    def _select(self, select_code: int, level: bytes) -> int | None:
        frame = bytes([select_code, r.NVB_SELECT]) + level
        answer = self._transceive(frame + r.crc_a(frame), answer_bits=24)
        if answer is None or answer.garbled or answer.collision_bit is not None or answer.bits != 24:
            return None
        if r.crc_a(answer.data[:1]) != answer.data[1:3]:
            return None
        return answer.data[0]

    def _halt(self) -> None:
        """HLTA needs no answer: transmit it and let it go out while other readers work."""
        frame = bytes([r.HLTA, 0x00])
        self._send(frame + r.crc_a(frame), command=r.Command.TRANSMIT)
        self._halt_on_air_until = self._clock.now() + r.frame_time_s(32)
