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

import logging
import threading
from dataclasses import dataclass

from board.core.closeable import Closeable
from board.core.errors import ReaderFault
from sensors import mfrc522_regs as r
from sensors.chipselect import ChipSelect, ResetLine, SharedDevice
from sensors.mfrc522_regs import Reg
from sensors.spi_message import transfer_frames
from sensors.sweep import ReaderClock, Steps, SystemReaderClock, run_alone

log = logging.getLogger(__name__)

# Timer tick 25 us (prescaler 169). A tag answers 86-91 us after our frame ends and the
# timer stops as soon as the answer starts (~140 us), so 1 ms leaves a wide margin and
# an empty slot gives up after 1 ms instead of the package's 15 ms.
TIMER_PRESCALER = 169
ANSWER_TIMEOUT_S = 1e-3
TIMER_RELOAD = round(ANSWER_TIMEOUT_S / r.timer_period_s(TIMER_PRESCALER, 0)) - 1
TIMER_PERIOD_S = r.timer_period_s(TIMER_PRESCALER, TIMER_RELOAD)
# How far the chip may lag our reckoning of air times (SPI latency, end-of-frame detection):
# added before a look that must find a frame over, so one look is enough. A chip found
# still receiving at that look gets twice the margin from then on, up to the maximum.
CHIP_LAG_S = 50e-6
CHIP_LAG_MAX_S = 1e-3
# If no interrupt at all arrives within this, the chip is gone: longest frame + timer + answer, twice.
CHIP_SILENT_AFTER_S = 5e-3
IRQ_POLL_INTERVAL_S = 100e-6  # between status reads once the answer and the timer are overdue
IRQ_PIN_POLL_INTERVAL_S = 20e-6  # between looks at the IRQ pin: no SPI, so look more often
RESET_POLL_INTERVAL_S = 200e-6
RESET_TIMEOUT_S = 5e-3
MAX_TAGS_PER_FIELD = 8  # a badge on a polaroid is two; more is a pile of cards
# Frames that came back broken (or not at all where a tag had answered) are tried again,
# up to this many times a poll: a noisy field costs a retry, not a missed card.
RETRIES_PER_POLL = 4
MAX_ROUNDS_PER_SEARCH = 2 * MAX_TAGS_PER_FIELD + RETRIES_PER_POLL  # a tag a round, empty branches, retries
# A single tag seen on the last poll is checked with REQA and WUPA only (see _same_tag_still_there);
# its UID is read again at least this often.
FULL_READ_EVERY_S = 2.0
# A field found without a tag seen on the last poll is searched this many times more before
# the poll says it is gone: a lost WUPA costs a search, not a missed card.
CONFIRMATIONS_OF_ABSENCE = 2
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 8.0
# ISO/IEC 14443-3 clause 5: a tag accepts a request at most 5 ms after the field comes on,
# and only a field gap of at least 5 ms (t_RESET) surely resets it; the margin is EMVCo's
# 5.1 ms. This driver never needs the reset (WUPA wakes whatever state a tag kept); the
# `mfrc522` package wrapper does.
FIELD_RESET_S = 5.1e-3
TAG_POWER_UP_S = 5e-3

# Read together after every frame, with the answer's FIFO bytes in the same transfer.
# VERSION and T_RELOAD_LO cost one byte each and catch a chip that answers noise, or
# that lost its settings to a brown-out, on the spot.
_STATUS_REGISTERS = (Reg.COM_IRQ, Reg.ERROR, Reg.FIFO_LEVEL, Reg.CONTROL, Reg.COLL, Reg.VERSION, Reg.T_RELOAD_LO)
_GARBLED = r.ERR_BUFFER_OVERFLOW | r.ERR_PARITY | r.ERR_PROTOCOL | r.ERR_CRC
_ANSWERED_OR_TIMED_OUT = r.IRQ_RX | r.IRQ_TIMER  # enabled on the IRQ pin too, so the pin means "look now"


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

    def transfer_frames(self, chip_select: ChipSelect, frames: list[list[int]]) -> list[list[int]]:
        """Several frames to one chip: one call where the kernel toggles its chip select, else a call each."""
        if len(frames) == 1:
            return [self.transfer(chip_select, frames[0])]
        if not chip_select.kernel_toggles:
            return [self.transfer(chip_select, frame) for frame in frames]
        with self._lock, chip_select:
            return transfer_frames(self._spi, frames)

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
        return self._bus.transfer(self._chip_select, _read_frame(registers))[1:]

    def write_each(self, *writes: tuple[int, ...], then_read: tuple[int, ...] = ()) -> list[int]:
        """Write several registers (each `(register, *values)` its own frame, in this order), then
        read `then_read`; all in one SPI call where the chip select allows. Returns what was read."""
        frames = [[r.spi_address(register, read=False), *values] for register, *values in writes]
        if then_read:
            frames.append(_read_frame(then_read))
        answers = self._bus.transfer_frames(self._chip_select, frames)
        return answers[-1][1:] if then_read else []

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._chip_select.close()
            self._bus.detach()


def _read_frame(registers: tuple[int, ...]) -> list[int]:
    return [r.spi_address(register, read=True) for register in registers] + [0]


@dataclass(frozen=True)
class _Status:
    irq: int
    error: int
    fifo_level: int
    rx_last_bits: int
    coll: int
    fifo: bytes  # read with the status: at most the bytes asked for


@dataclass(frozen=True)
class _Answer:
    data: bytes
    bits: int  # valid bits from bit 0 of data[0], RxAlign bits included
    coll_pos: int | None  # CollReg.CollPos of a collision (1-32; how it counts: _collision_position)
    garbled: bool


class Rc522Reader(Closeable):
    """One MFRC522 behind a slot or the coach pad; implements `sensors.sweep.SteppedReader`.

    The chip is brought up (soft reset, version check, timer) on the first poll, and
    again after a fault, with a growing pause between failed attempts so a dead
    reader costs the others nothing. Every wait is a step (`poll_steps`), so while
    one reader's frames are on air the bus can serve the others.
    """

    def __init__(
        self,
        reader_id: str,
        registers: RegisterBus,
        *,
        clock: ReaderClock | None = None,
        irq=None,
        antenna_off_between_polls: bool = False,
        tag_power_up_s: float = TAG_POWER_UP_S,
    ):
        self.reader_id = reader_id
        self.wiring = registers.label
        self._fault_prefix = f"{reader_id} ({self.wiring}): "
        self.chip_version: str | None = None
        self.clock = clock or SystemReaderClock()
        # With the field off between polls a card is never read by its neighbour's reader,
        # as long as no other field is on meanwhile: such readers are polled one at a time.
        self.shares_the_air = not antenna_off_between_polls
        self._registers = registers
        self._irq = irq  # gpiozero DigitalInputDevice on the chip's IRQ pin, or None to poll ComIrqReg
        self._antenna_off_between_polls = antenna_off_between_polls
        self._tag_power_up_s = tag_power_up_s
        self._version: int | None = None
        self._last_seen: frozenset[str] = frozenset()
        self._full_read_due = float("-inf")  # when the UIDs are read again however quiet the field
        self._left_ready = False  # the last frame woke the one tag in the field, and nothing followed
        self._first_level = b""  # that tag's first cascade level, as anticollision gives it
        self._receiver_waiting = False  # the last frame got no answer: the chip still waits for one
        self._fifo_dirty = True  # bytes left in it by the last look, or state unknown
        self._timer_runs_until = float("-inf")  # after an HLTA, which nobody answers
        self._halt_on_air_until = float("-inf")
        self._chip_lag_s = CHIP_LAG_S
        self._retry_at = 0.0
        self._retry_pause_s = 0.0
        self._last_fault = ""
        self._closed = False

    def __repr__(self) -> str:
        return f"Rc522Reader({self.reader_id!r}, {self.wiring})"

    # --- Reader

    def poll(self) -> frozenset[str]:
        return run_alone(self.poll_steps(), self.clock)

    def poll_steps(self) -> Steps[frozenset[str]]:
        if self._closed:
            raise self._fault("reader is closed")
        now = self.clock.now()
        if self._version is None and now < self._retry_at:
            raise self._fault(f"offline ({self._last_fault}); next try in {self._retry_at - now:.2f} s")
        try:
            if self._version is None:
                yield from self._bring_up()
            return (yield from self._read_field())
        except ReaderFault as fault:
            self._went_down(fault)
            raise
        except OSError as error:  # the SPI transfer itself failed (spidev ioctl)
            fault = self._fault(f"SPI transfer failed: {error}")
            self._went_down(fault)
            raise fault from error

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._registers.close()
        if self._irq is not None:
            self._irq.close()

    # --- bring-up and faults

    def _fault(self, message: str) -> ReaderFault:
        return ReaderFault(f"{self._fault_prefix}{message}")

    def _in(self, seconds: float) -> float:
        """The clock time `seconds` from now: what a step yields to wait that long."""
        return self.clock.now() + seconds

    def _bring_up(self) -> Steps[None]:
        yield from self._await_oscillator()  # a chip just powered on takes no writes either
        self._registers.write(Reg.COMMAND, r.Command.SOFT_RESET)
        yield from self._await_oscillator()
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
        written_back = self._registers.write_each(
            *timer,
            (Reg.TX_ASK, r.TX_ASK_FORCE_100),
            (Reg.MODE, r.MODE_CRC_PRESET_6363),
            (Reg.COLL, 0x00),  # bits after a collision read as 0
            (Reg.COM_IEN, _ANSWERED_OR_TIMED_OUT),
            (Reg.DIV_IEN, r.DIV_IEN_PUSH_PULL),
            (Reg.COMMAND, r.Command.TRANSCEIVE),  # for good: StartSend alone sends each frame
            then_read=tuple(register for register, _ in timer),
        )
        if written_back != [value for _, value in timer]:
            raise self._fault("register writes do not stick; the chip answers garbage")
        self._fifo_dirty = False  # SoftReset emptied it
        self._receiver_waiting = False  # Transceive just started: it waits for StartSend
        self._timer_runs_until = float("-inf")
        if not self._antenna_off_between_polls:
            yield from self._power_field()
        self._version = version
        self.chip_version = r.describe_version(version)

    def _await_oscillator(self) -> Steps[None]:
        """Until CommandReg PowerDown clears: writes before that are lost (datasheet 8.8.2)."""
        deadline = self._in(RESET_TIMEOUT_S)
        while self._registers.read(Reg.COMMAND)[0] & r.COMMAND_POWER_DOWN:
            if self.clock.now() > deadline:
                raise self._fault("chip did not come out of soft reset")
            yield self._in(RESET_POLL_INTERVAL_S)

    def _went_down(self, fault: ReaderFault) -> None:
        """Forget the chip; after a fault while up retry at once, after a failed bring-up back off."""
        if self._version is not None:
            self._retry_pause_s = 0.0
        else:
            self._retry_pause_s = min(max(self._retry_pause_s * 2, RETRY_FIRST_S), RETRY_MAX_S)
        self._version = None
        self.chip_version = None
        self._left_ready = False
        self._last_fault = str(fault).removeprefix(self._fault_prefix)
        self._retry_at = self._in(self._retry_pause_s)

    def _set_antenna(self, on: bool) -> None:
        self._registers.write(Reg.TX_CONTROL, 0x80 | (r.TX_CONTROL_ANTENNA if on else 0))

    # --- talking to the chip

    def _look(self, fifo_bytes: int) -> _Status:
        """Read the status and up to `fifo_bytes` of the FIFO in one transfer."""
        values = self._registers.read(*_STATUS_REGISTERS, *[Reg.FIFO_DATA] * fifo_bytes)
        irq, error, level, control, coll, version, reload = values[: len(_STATUS_REGISTERS)]
        if version in r.NO_CHIP_VERSIONS:
            raise self._fault(f"stopped answering (version register reads 0x{version:02X})")
        if version != self._version:
            raise self._fault(f"answers garbage (version register 0x{version:02X}, was 0x{self._version:02X})")
        if reload != TIMER_RELOAD & 0xFF:
            raise self._fault("chip was reset (brown-out or power cut?); bringing it up again")
        if level > r.FIFO_SIZE:
            raise self._fault(f"answers garbage (FIFO level {level})")
        # FIFO_LEVEL is read before the FIFO in the same transfer: bytes past it are not data.
        fifo = bytes(values[len(_STATUS_REGISTERS) :][:level])
        # Bytes left behind, or taken from an answer still arriving (the rest follows).
        self._fifo_dirty = level > fifo_bytes or (level > 0 and not irq & r.IRQ_RX)
        return _Status(irq, error, level, control & r.CONTROL_RX_LAST_BITS, coll, fifo)

    def _await_answer(
        self, *, complete_at: float, timer_out_at: float, answer_bytes: int, likely: bool = True
    ) -> Steps[_Status]:
        """Wait for the tag's answer or the chip's timer, and read the answer with the status.

        The first look comes when an answer must be complete (or the IRQ pin says one
        is); a tag that has not answered by then never will, so the next look is when
        the timer runs out. Bytes a look took from an answer still arriving leave it
        short, which every caller rejects by its length; this chip is then given more
        time before its first look. Where an answer is `likely` not to come (a request to a
        field thought empty) the first look waits for the timer: one SPI call, not two.
        """
        deadline = self._in(CHIP_SILENT_AFTER_S)
        if not likely:
            complete_at = max(complete_at, timer_out_at)
        look_at = complete_at if self._irq is not None else complete_at + self._chip_lag_s
        while True:
            yield look_at
            if self._irq is not None:
                while not self._irq.is_active and self.clock.now() <= deadline:
                    yield self._in(IRQ_PIN_POLL_INTERVAL_S)
            status = self._look(answer_bytes)
            if status.irq & _ANSWERED_OR_TIMED_OUT:
                return status
            if status.fifo and self._chip_lag_s < CHIP_LAG_MAX_S:
                self._chip_lag_s = min(2 * self._chip_lag_s, CHIP_LAG_MAX_S)
                log.info("%s: answers come in late; looking %.0f us after them now", self, self._chip_lag_s * 1e6)
            if self.clock.now() > deadline:
                raise self._fault("no interrupt from the chip; it stopped answering")
            look_at = max(timer_out_at + CHIP_LAG_S, self._in(IRQ_POLL_INTERVAL_S))

    def _start(
        self, frame: bytes, *, last_bits: int = 0, rx_align: int = 0, answer_expected: bool = True
    ) -> Steps[float]:
        """Put a frame on air (the chip stays in Transceive); return when its last bit is out.

        After a frame nobody answered the receiver still waits for data, where StartSend
        may be ignored and a FIFO write is an error (ErrorReg WrErr): Transceive
        is started afresh first, Idle and Transceive in one transfer. The FIFO is flushed
        only when a look left bytes in it.
        """
        if self._timer_runs_until > self.clock.now():
            # The timer still counts for the last HLTA; its TimerIRq must not land in this exchange.
            yield self._timer_runs_until
        self._left_ready = False  # whatever this frame is, it is not what the tag waits for
        writes: list[tuple[int, ...]] = []
        if self._receiver_waiting:
            writes.append((Reg.COMMAND, r.Command.IDLE, r.Command.TRANSCEIVE))
            self._receiver_waiting = False
        if answer_expected:
            writes.append((Reg.COM_IRQ, r.IRQ_ALL))
        if self._fifo_dirty:
            writes.append((Reg.FIFO_LEVEL, r.FIFO_FLUSH))
            self._fifo_dirty = False
        writes.append((Reg.FIFO_DATA, *frame))
        writes.append((Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | (rx_align << 4) | last_bits))
        self._registers.write_each(*writes)  # in this order, one SPI call where the chip select allows
        tx_bits = len(frame) * 8 - (8 - last_bits if last_bits else 0)
        return self._in(r.frame_time_s(tx_bits))

    def _transceive(
        self, frame: bytes, *, answer_bits: int, last_bits: int = 0, rx_align: int = 0, likely: bool = True
    ) -> Steps[_Answer | None]:
        """Send a frame and return the answer, or None when the timer ran out (no tag answered)."""
        sent_at = yield from self._start(frame, last_bits=last_bits, rx_align=rx_align)
        status = yield from self._await_answer(
            complete_at=sent_at + r.FRAME_DELAY_S + r.frame_time_s(answer_bits),
            timer_out_at=sent_at + TIMER_PERIOD_S,
            answer_bytes=(rx_align + answer_bits + 7) // 8,
            likely=likely,
        )
        if not status.irq & r.IRQ_RX:
            self._receiver_waiting = True
            return None
        data = status.fifo
        level = status.fifo_level
        bits = (level - 1) * 8 + status.rx_last_bits if status.rx_last_bits else level * 8
        coll_pos = None
        garbled = bool(status.error & _GARBLED) or not data or len(data) != level
        if status.error & r.ERR_COLLISION:
            if status.coll & r.COLL_POS_NOT_VALID:
                garbled = True
            else:
                coll_pos = (status.coll & r.COLL_POS_MASK) or 32
        return _Answer(data, bits, coll_pos, garbled)

    # --- ISO 14443-3 type A

    def _read_field(self) -> Steps[frozenset[str]]:
        """Every tag in the field. With the field kept on, a tag waits in HALT between polls."""
        if self._antenna_off_between_polls:
            yield from self._power_field()
            try:
                uids = yield from self._read_tags()
                yield self._halt_on_air_until  # a field switched off under HLTA would leave a tag READY
            finally:
                # Also after a fault: the scanner skips this reader for a while, and a field
                # left on meanwhile would read the neighbours' cards.
                self._set_antenna(False)
        else:
            uids = yield from self._read_tags()
        self._last_seen = uids
        return uids

    def _power_field(self) -> Steps[None]:
        """Field on, then the time ISO gives a tag to power up before it must answer a request."""
        self._set_antenna(True)
        yield self._in(self._tag_power_up_s)

    def _read_tags(self) -> Steps[frozenset[str]]:
        """All tags, searched again if one seen last poll is missing (a lost WUPA, a broken round).

        One tag seen last poll, its UID read less than FULL_READ_EVERY_S ago, and the field
        kept on (it was left READY): `_same_tag_still_there` is asked first, and the UIDs read
        only if it says no.
        """
        self._retries_left = RETRIES_PER_POLL
        now = self.clock.now()
        left_ready = self._left_ready
        if len(self._last_seen) == 1 and left_ready and now < self._full_read_due:
            if (yield from self._same_tag_still_there()):
                return self._last_seen
        if left_ready:
            yield from self._halt()  # READY to IDLE, so the search's WUPA wakes every tag
        found = yield from self._search()
        for _ in range(CONFIRMATIONS_OF_ABSENCE):
            if self._last_seen <= found:
                break
            found |= yield from self._search()
        self._full_read_due = now + FULL_READ_EVERY_S
        return frozenset(found)

    def _same_tag_still_there(self) -> Steps[bool]:
        """Whether the one tag of the last poll is still the only one: three frames instead of five.

        The last poll left it READY. HLTA sends it to IDLE, WUPA wakes every tag in the field,
        and one anticollision frame asks for their first cascade level: the known tag's bytes,
        without a collision, mean nobody else is there (a badge held against the card collides,
        a card swapped for another differs). The tag is READY again for the next poll; any
        other outcome is settled by a full search, and the UIDs are read in full every
        FULL_READ_EVERY_S anyway.
        """
        yield from self._halt()
        if (yield from self._request(r.WUPA)) is None:
            return False
        frame = bytes([r.CASCADE_LEVELS[0], r.nvb(0)])
        answer = yield from self._transceive(frame, answer_bits=r.UID_BITS_PER_LEVEL)
        if answer is None or answer.garbled or answer.coll_pos is not None or answer.data != self._first_level:
            return False
        self._left_ready = True
        return True

    def _search(self) -> Steps[set[str]]:
        """ISO 14443-3's way through a field of several tags, leaving none ACTIVE, and none READY
        but a tag found alone with the field kept on (for the next poll's `_same_tag_still_there`).

        Each round wakes every tag with WUPA (from IDLE, or from the HALT an earlier round
        or poll left it in), follows one branch of the UID tree through anticollision and
        SELECT per cascade level, and ends with HLTA. Where tags collide the round takes the
        1 branch and keeps the 0 branch for a later round, so n tags cost n rounds and no
        round depends on what a tag woken from HALT does with frames not meant for it.
        A round that comes back broken is run again while the poll's retries last.
        """
        found: set[str] = set()
        branches: list[tuple[int, ...]] = [()]
        rounds = 0
        answered = False
        while branches and len(found) < MAX_TAGS_PER_FIELD and rounds < MAX_ROUNDS_PER_SEARCH:
            prefix = branches.pop()
            rounds += 1
            if (yield from self._request(r.WUPA, likely=answered or bool(self._last_seen))) is None:
                if not answered:
                    break  # nobody there
                uid = None  # tags answered a round ago: this WUPA was lost
            else:
                answered = True
                uid = yield from self._walk(prefix, branches)
                if uid is not None and not found and not branches and not self._antenna_off_between_polls:
                    self._left_ready = True  # no collision on the way: the only tag in the field
                else:
                    yield from self._halt()
            if uid is not None:
                found.add(uid)
            elif self._retries_left > 0:
                self._retries_left -= 1
                branches.append(prefix)
        return found

    def _walk(self, prefix: tuple[int, ...], branches: list[tuple[int, ...]]) -> Steps[str | None]:
        """One tag's UID down the branch `prefix` (bits of its cascade levels, first bit first).

        Every level but the last is selected, which moves the tag on to the next. The last
        one is not: anticollision gave its 40 bits with parity and BCC, and HLTA sends a
        READY tag to IDLE as it sends an ACTIVE one to HALT; both answer the next WUPA.
        """
        uid = bytearray()
        for depth, select_code in enumerate(r.CASCADE_LEVELS):
            above = prefix[: depth * r.UID_BITS_PER_LEVEL]
            known = prefix[depth * r.UID_BITS_PER_LEVEL : (depth + 1) * r.UID_BITS_PER_LEVEL]
            if len(known) == r.UID_BITS_PER_LEVEL:
                level = r.to_bytes(known)  # a branch that forks deeper down: this level is known
            else:
                level = yield from self._anticollision(select_code, list(known), above, branches)
                if level is None:
                    return None
            if depth == 0:
                self._first_level = level
            if level[0] != r.CASCADE_TAG:
                return (uid + level[:4]).hex().upper()
            sak = yield from self._select(select_code, level)
            if sak is None or not sak & r.SAK_UID_NOT_COMPLETE:
                return None
            uid += level[1:4]
            prefix = above + r.to_bits(level) + prefix[len(above) + r.UID_BITS_PER_LEVEL :]
        return None  # a fourth cascade level does not exist: a garbled read

    def _anticollision(
        self, select_code: int, known: list[int], above: tuple[int, ...], branches: list[tuple[int, ...]]
    ) -> Steps[bytes | None]:
        """The 40 bits of one cascade level, resolving collisions bit by bit (ISO 14443-3 6.5.3)."""
        while True:
            extra = len(known) % 8
            frame = bytes([select_code, r.nvb(len(known))]) + r.to_bytes(known)
            answer = yield from self._transceive(
                frame, answer_bits=r.UID_BITS_PER_LEVEL - len(known), last_bits=extra, rx_align=extra
            )
            if answer is None or answer.garbled:
                return None
            received = list(r.to_bits(answer.data)[extra : answer.bits])
            if answer.coll_pos is None:
                level_bits = known + received
                if len(level_bits) != r.UID_BITS_PER_LEVEL:
                    return None
                level = r.to_bytes(level_bits)
                return level if r.bcc(level[:4]) == level[4] else None
            position = _collision_position(answer.coll_pos, len(known), received)
            if position is None:
                return None
            common = known + received[: position - len(known)]
            branches.append((*above, *common, 0))
            known = [*common, 1]

    def _request(self, command: int, *, likely: bool = True) -> Steps[_Answer | None]:
        """REQA or WUPA: any answer, even a garbled or colliding ATQA, means a tag is there."""
        frame = bytes([command])
        return (yield from self._transceive(frame, answer_bits=16, last_bits=r.SHORT_FRAME_BITS, likely=likely))

    def _select(self, select_code: int, level: bytes) -> Steps[int | None]:
        frame = bytes([select_code, r.NVB_SELECT]) + level
        answer = yield from self._transceive(frame + r.crc_a(frame), answer_bits=24)
        if answer is None or answer.garbled or answer.coll_pos is not None or answer.bits != 24:
            return None
        if r.crc_a(answer.data[:1]) != answer.data[1:3]:
            return None
        return answer.data[0]

    def _halt(self) -> Steps[None]:
        """HLTA needs no answer and no look: send it and move on while it is on air.

        Nothing answers it, so the chip's receiver still waits afterwards, and its timer
        runs; ISO 14443-3 also counts any answer within 1 ms of HLTA as "not acknowledged",
        so the next frame waits for that timer.
        """
        frame = bytes([r.HLTA, 0x00])
        sent_at = yield from self._start(frame + r.crc_a(frame), answer_expected=False)
        self._halt_on_air_until = sent_at
        self._receiver_waiting = True
        self._timer_runs_until = sent_at + TIMER_PERIOD_S + CHIP_LAG_S


def _collision_position(coll_pos: int, known_bits: int, received: list[int]) -> int | None:
    """Which bit of the cascade level collided, whichever way the chip counts CollPos.

    The datasheet (CollReg) leaves open whether the RxAlign bits of a bit-oriented frame are
    counted; without them the collision lies RxAlign bits later. With ValuesAfterColl
    clear every bit after a collision reads 0, so a 1 after the earlier reading rules it
    out; otherwise the earlier one is taken, and if it was in truth a bit all tags share,
    one of its two branches is simply empty.
    """
    counted_from_fifo = known_bits // 8 * 8 + coll_pos - 1
    counted_from_received = known_bits + coll_pos - 1
    readings = (counted_from_fifo, counted_from_received)
    valid = sorted({p for p in readings if known_bits <= p < 32 and p - known_bits < len(received)})
    if len(valid) == 2 and any(received[counted_from_fifo - known_bits + 1 :]):
        return counted_from_received
    return valid[0] if valid else None
