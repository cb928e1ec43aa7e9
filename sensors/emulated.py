"""An emulated MFRC522 on an emulated SPI bus, with ISO 14443-A tags in its field.

Tests and the benchmark drive the real driver (and the `mfrc522` package) through
this instead of hardware. Everything runs on an emulated clock: each SPI transfer
costs its bytes at the configured SPI speed plus a per-call overhead (the Python and
kernel cost of one `xfer2`), and a tag's answer appears only after its RF frame time.
So "how many transfers" and "how long" are deterministic and can be counted.

Modelled: the registers the drivers use, the 64-byte FIFO (an answer enters it byte by
byte as it comes off the air; RxIRq follows its end bit), the timer (TAuto after every
transmission, TStartNow, stops when an answer starts), ComIrq/DivIrq with Set1/Set2 write semantics, the IRQ
pin, the commands Idle, Transmit, Transceive, CalcCRC and SoftReset, the antenna, and
bit-oriented frames (TxLastBits, RxAlign, RxLastBits, CollReg). Tags follow the
ISO 14443-3 state machine (IDLE, READY per cascade level, ACTIVE, HALT) for REQA,
WUPA, anticollision, SELECT and HLTA with 4-, 7- and 10-byte UIDs; several tags
answering at once collide bit by bit.

CollReg.CollPos here counts from bit 0 of the first received FIFO byte, RxAlign bits
included, so a driver maps it to a bit of the cascade level the same way whatever
the alignment. Chip-side CRC (TxCRCEn/RxCRCEn) is not modelled and refuses to be set.
"""

import heapq
import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto

from gpiozero.pins.mock import MockFactory

from sensors import mfrc522_regs as r
from sensors.hardware import ReadersConfig, build_readers
from board.core.uid import normalise_uid

Bits = tuple[int, ...]


def to_bits(data: bytes | Sequence[int], last_byte_bits: int = 0) -> Bits:
    """Bits of a frame, least significant bit of each byte first; the last byte may be partial."""
    bits = [(byte >> i) & 1 for byte in data for i in range(8)]
    if last_byte_bits and data:
        del bits[len(bits) - 8 + last_byte_bits :]
    return tuple(bits)


def to_bytes(bits: Sequence[int], offset: int = 0) -> bytes:
    """Pack bits into bytes, the first one landing on bit `offset` of the first byte."""
    out = bytearray((offset + len(bits) + 7) // 8)
    for i, bit in enumerate(bits, start=offset):
        out[i // 8] |= bit << (i % 8)
    return bytes(out)


class EmulatedClock:
    """Emulated time in seconds; listeners hear every step so chips can drive their IRQ pins."""

    def __init__(self) -> None:
        self._now = 0.0
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
        for listener in self._listeners:
            listener(self._now)

    sleep = advance

    def subscribe(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)


class TagState(Enum):
    IDLE = auto()
    READY = auto()
    ACTIVE = auto()
    HALT = auto()


class EmulatedTag:
    """A PICC: NTAG21x by default (7-byte UID, SAK 0x00), MIFARE Classic with sak=0x08.

    It needs `power_up_s` of field before it answers, and keeps its state through a
    field gap shorter than `keeps_state_s` (its supply capacitor), so a reader must
    switch the field off long enough to really reset it.
    """

    def __init__(
        self, uid: str | bytes, *, sak: int | None = None, power_up_s: float = 1e-3, keeps_state_s: float = 0.5e-3
    ):
        self.uid = bytes.fromhex(normalise_uid(uid))
        self.sak = sak if sak is not None else (0x08 if len(self.uid) == 4 else 0x00)
        self.power_up_s = power_up_s
        self.keeps_state_s = keeps_state_s
        self.state = TagState.IDLE
        self.powered = False
        self._halted = False  # woke from HALT: errors send it back there, not to IDLE
        self._level = 0
        self._ready_at = 0.0
        self._off_since = float("-inf")
        size_code = {4: 0, 7: 1, 10: 2}[len(self.uid)]
        self.atqa = bytes(((size_code << 6) | 0x04, 0x00))
        self.levels = self._cascade_levels()

    def _cascade_levels(self) -> list[bytes]:
        uid = self.uid
        parts = {4: [uid], 7: [bytes([r.CASCADE_TAG]) + uid[:3], uid[3:]]}.get(
            len(uid), [bytes([r.CASCADE_TAG]) + uid[:3], bytes([r.CASCADE_TAG]) + uid[3:6], uid[6:]]
        )
        return [part + bytes([r.bcc(part)]) for part in parts]

    def power_on(self, at: float) -> None:
        if self.powered:
            return
        self.powered = True
        if at - self._off_since > self.keeps_state_s:
            self.state = TagState.IDLE
            self._halted = False
            self._ready_at = at + self.power_up_s

    def power_off(self, at: float) -> None:
        if self.powered:
            self.powered = False
            self._off_since = at

    def leave_field(self) -> None:
        """Taken away: whatever field it meets next finds it reset."""
        self.powered = False
        self._off_since = float("-inf")

    def hears(self, at: float) -> bool:
        return self.powered and at >= self._ready_at

    def receive(self, frame: Bits) -> Bits | None:
        """React to one PCD frame; return the answer's bits, or None for silence."""
        if len(frame) == r.SHORT_FRAME_BITS:
            return self._request(to_bytes(frame)[0])
        if self.state is TagState.HALT:
            return None  # a halted tag listens for WUPA only
        data = to_bytes(frame)
        if data[0] in r.CASCADE_LEVELS and self.state is TagState.READY:
            return self._anticollision_or_select(frame, data)
        is_halt = len(data) == 4 and data[:2] == bytes((r.HLTA, 0x00)) and r.crc_a(data[:2]) == data[2:]
        if is_halt and self.state is TagState.ACTIVE:
            self.state = TagState.HALT
        else:
            self._error()
        return None

    def _request(self, command: int) -> Bits | None:
        wakes = (TagState.IDLE, TagState.HALT) if command == r.WUPA else (TagState.IDLE,)
        if command in (r.REQA, r.WUPA) and self.state in wakes:
            self._halted = self.state is TagState.HALT
            self.state = TagState.READY
            self._level = 0
            return to_bits(self.atqa)
        if self.state is not TagState.HALT:
            self._error()
        return None

    def _anticollision_or_select(self, frame: Bits, data: bytes) -> Bits | None:
        if data[0] != r.CASCADE_LEVELS[self._level] or len(data) < 2:
            self._error()
            return None
        level = to_bits(self.levels[self._level])
        if data[1] == r.NVB_SELECT:
            if len(data) != 9 or r.crc_a(data[:7]) != data[7:] or to_bits(data[2:7]) != level:
                return None  # another tag's SELECT, or a corrupted one: stay READY, keep quiet
            final = self._level == len(self.levels) - 1
            sak = self.sak if final else r.SAK_UID_NOT_COMPLETE
            if final:
                self.state = TagState.ACTIVE
            else:
                self._level += 1
            return to_bits(bytes([sak]) + r.crc_a(bytes([sak])))
        known = ((data[1] >> 4) - 2) * 8 + (data[1] & 0x0F)
        if len(frame) != 16 + known or known >= r.UID_BITS_PER_LEVEL:
            self._error()
            return None
        if frame[16:] != level[:known]:
            return None  # not my UID: this tag lost the round and waits
        return level[known:]

    def _error(self) -> None:
        """ISO 14443-3: an unexpected frame sends a tag back to IDLE, or to HALT if woken from it."""
        self.state = TagState.HALT if self._halted else TagState.IDLE


class Fault(Enum):
    NONE = auto()
    SILENT = auto()  # MISO stuck low: nothing answers
    GARBAGE = auto()  # MISO returns noise, writes are lost
    UNPLUGGED = auto()  # gone; comes back power-on-reset when plugged in


@dataclass
class _Pending:
    """A transmission in flight: when each of its effects lands on the chip."""

    tx_end: float
    rx_end: float | None
    answer: Bits = ()
    collision_at: int | None = None
    transmit_only: bool = False
    overflowed: bool = False  # a received byte found the FIFO full


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class EmulatedMfrc522:
    """One chip: a register file behind `transfer()`, with tags placed in its field."""

    RESET_TIME_S = 150e-6  # SoftReset until the chip takes commands again (datasheet 8.8.2: >= 37.74 us)
    CRC_TIME_S = 2e-6

    def __init__(self, clock: EmulatedClock, *, version: int = 0x92, rng: random.Random | None = None):
        self.clock = clock
        self.version = version
        self.rng = rng or random.Random(0)
        self.tags: list[EmulatedTag] = []
        self.fault = Fault.NONE
        self.tag_loss_rate = 0.0
        self.receive_lag_s = 0.0  # a chip slower than the air times: answer bytes and RxIRq come this late
        self.irq_pin = None  # a gpiozero MockPin the chip drives; see wire_irq_pin
        self._held_in_reset = False
        self._events: list[_Event] = []
        self._seq = itertools.count()
        self._power_on_reset()

    # --- the world around the chip

    def place(self, *tags: EmulatedTag | str) -> list[EmulatedTag]:
        """Put tags (or UIDs) in the field; returns the tag objects."""
        placed = [tag if isinstance(tag, EmulatedTag) else EmulatedTag(tag) for tag in tags]
        for tag in placed:
            self.tags.append(tag)
            if self.antenna_on:
                tag.power_on(self.clock.now())
        return placed

    def remove(self, *tags: EmulatedTag) -> None:
        for tag in tags:
            self.tags.remove(tag)
            tag.leave_field()

    def clear_field(self) -> None:
        self.remove(*self.tags)

    def lose_tags(self, rate: float) -> None:
        """Each REQA/WUPA misses each tag with this probability (a card at the edge of the field)."""
        self.tag_loss_rate = rate

    def fail(self, fault: Fault) -> None:
        self.fault = fault
        if fault is not Fault.NONE:
            self._events.clear()

    def unplug(self) -> None:
        self.fail(Fault.UNPLUGGED)
        self._set_antenna(False)

    def plug_in(self) -> None:
        """Come back as after a power cycle: registers at reset values, antenna off."""
        self.fault = Fault.NONE
        self._power_on_reset()

    # --- SPI

    def transfer(self, mosi: Sequence[int]) -> list[int]:
        """One chip-select-low SPI transaction, as the chip sees it (datasheet 8.1.2)."""
        if self.fault in (Fault.SILENT, Fault.UNPLUGGED) or self._held_in_reset:
            return [0] * len(mosi)
        if self.fault is Fault.GARBAGE:
            return [self.rng.randrange(256) for _ in mosi]
        self._catch_up(self.clock.now())
        register = (mosi[0] >> 1) & 0x3F
        if mosi[0] & r.SPI_READ:
            # Each byte after the first names the next register to read; the last is a dummy.
            miso = [0]
            for address in mosi[:-1]:
                miso.append(self._read((address >> 1) & 0x3F))
            return miso
        for value in mosi[1:]:
            self._write(register, value)
        return [0] * len(mosi)

    # --- registers

    def _power_on_reset(self) -> None:
        self._regs = [0] * 64
        for reg, value in r.RESET_VALUES.items():
            self._regs[reg] = value
        self._regs[r.Reg.VERSION] = self.version
        self._fifo: list[int] = []
        self._crc_data = bytearray()
        self._command = r.Command.IDLE
        self._powering_up_until = self.clock.now() + self.RESET_TIME_S
        self._timer_expiry: float | None = None
        self._events.clear()
        self._set_antenna(False)

    @property
    def antenna_on(self) -> bool:
        return bool(self._regs[r.Reg.TX_CONTROL] & r.TX_CONTROL_ANTENNA)

    def _read(self, register: int) -> int:
        if register == r.Reg.FIFO_DATA:
            return self._fifo.pop(0) if self._fifo else 0
        if register == r.Reg.FIFO_LEVEL:
            return len(self._fifo)
        if register == r.Reg.COMMAND:
            powering_up = self.clock.now() < self._powering_up_until
            return self._command | (r.COMMAND_POWER_DOWN if powering_up else 0)
        if register == r.Reg.STATUS1:
            running = self._timer_expiry is not None and self.clock.now() < self._timer_expiry
            return (0x08 if running else 0) | (0x10 if self._irq_active() else 0)
        return self._regs[register]

    def _write(self, register: int, value: int) -> None:
        if self.clock.now() < self._powering_up_until:
            return  # still starting its oscillator: writes are lost
        match register:
            case r.Reg.COMMAND:
                self._start_command(value)
            case r.Reg.COM_IRQ | r.Reg.DIV_IRQ:
                marked = value & r.IRQ_ALL
                current = self._regs[register]
                self._regs[register] = current | marked if value & r.IRQ_SET else current & ~marked
                self._drive_irq_pin()
            case r.Reg.FIFO_DATA:
                self._push_fifo(value)
            case r.Reg.FIFO_LEVEL:
                if value & r.FIFO_FLUSH:
                    self._fifo.clear()
                    self._regs[r.Reg.ERROR] &= ~r.ERR_BUFFER_OVERFLOW
            case r.Reg.BIT_FRAMING:
                self._regs[register] = value
                if value & r.BIT_FRAMING_START_SEND and self._command == r.Command.TRANSCEIVE:
                    self._send(transmit_only=False)
            case r.Reg.CONTROL:
                if value & r.CONTROL_TIMER_START_NOW:
                    self._start_timer(self.clock.now())
            case r.Reg.TX_CONTROL:
                self._regs[register] = value
                self._set_antenna(bool(value & r.TX_CONTROL_ANTENNA))
            case r.Reg.TX_MODE | r.Reg.RX_MODE:
                if value & r.TX_MODE_CRC_EN:
                    raise NotImplementedError("chip-side CRC is not emulated; compute CRC_A on the host")
                self._regs[register] = value
            case r.Reg.ERROR | r.Reg.STATUS1 | r.Reg.VERSION | r.Reg.CRC_RESULT_LSB | r.Reg.CRC_RESULT_MSB:
                pass  # read-only
            case _:
                self._regs[register] = value
                if register in (r.Reg.COM_IEN, r.Reg.DIV_IEN):
                    self._drive_irq_pin()

    def _push_fifo(self, value: int) -> None:
        if self._command == r.Command.CALC_CRC:
            self._crc_data.append(value)
            self._finish_crc()
        elif len(self._fifo) < r.FIFO_SIZE:
            self._fifo.append(value)
        else:
            self._regs[r.Reg.ERROR] |= r.ERR_BUFFER_OVERFLOW

    def _start_command(self, value: int) -> None:
        command = value & r.COMMAND_MASK
        self._events.clear()  # a new command stops whatever ran
        self._timer_expiry = None
        if command == r.Command.SOFT_RESET:
            self._power_on_reset()
            return
        self._command = r.Command(command)
        if command == r.Command.TRANSMIT:
            self._send(transmit_only=True)
        elif command == r.Command.CALC_CRC:
            self._crc_data = bytearray(self._fifo)
            self._fifo.clear()
            self._finish_crc()

    def _finish_crc(self) -> None:
        crc = r.crc_a(bytes(self._crc_data))
        self._regs[r.Reg.DIV_IRQ] &= ~r.DIV_IRQ_CRC

        def done() -> None:
            self._regs[r.Reg.CRC_RESULT_LSB], self._regs[r.Reg.CRC_RESULT_MSB] = crc
            self._regs[r.Reg.DIV_IRQ] |= r.DIV_IRQ_CRC

        self._schedule(self.clock.now() + self.CRC_TIME_S, done)

    def _set_antenna(self, on: bool) -> None:
        for tag in self.tags:
            if on:
                tag.power_on(self.clock.now())
            else:
                tag.power_off(self.clock.now())

    # --- RF

    def _send(self, *, transmit_only: bool) -> None:
        """Put the FIFO on air; schedule what the chip sees when it ends and when tags answer."""
        framing = self._regs[r.Reg.BIT_FRAMING]
        frame = to_bits(self._fifo, framing & 0x07)
        self._fifo.clear()
        now = self.clock.now()
        tx_end = now + r.frame_time_s(len(frame))
        answers = self._tag_answers(frame, tx_end) if self.antenna_on else []
        pending = _Pending(tx_end=tx_end, rx_end=None, transmit_only=transmit_only)
        if not transmit_only and answers:
            pending.answer, pending.collision_at = _superpose(answers)
            answer_start = tx_end + r.FRAME_DELAY_S
            pending.rx_end = answer_start + r.frame_time_s(len(pending.answer))
            timer_stop = answer_start + 5 * r.BIT_TIME_S
        else:
            timer_stop = None
        self._schedule(tx_end, lambda: self._transmitted(pending, timer_stop))
        if pending.rx_end is not None:
            self._receive(pending, answer_start, (framing >> 4) & 0x07)

    def _tag_answers(self, frame: Bits, at: float) -> list[Bits]:
        is_request = len(frame) == r.SHORT_FRAME_BITS
        answers = []
        for tag in self.tags:
            if not tag.hears(at):
                continue
            if is_request and self.tag_loss_rate and self.rng.random() < self.tag_loss_rate:
                continue
            answer = tag.receive(frame)
            if answer is not None:
                answers.append(answer)
        return answers

    def _transmitted(self, pending: _Pending, timer_stop: float | None) -> None:
        self._regs[r.Reg.COM_IRQ] |= r.IRQ_TX
        if pending.transmit_only:
            self._regs[r.Reg.COM_IRQ] |= r.IRQ_IDLE
            self._command = r.Command.IDLE
        if self._regs[r.Reg.T_MODE] & r.T_MODE_AUTO:  # "at the end of the transmission in all communication modes"
            self._start_timer(pending.tx_end, stop_at=timer_stop)
        self._drive_irq_pin()

    def _start_timer(self, start: float, stop_at: float | None = None) -> None:
        prescaler = ((self._regs[r.Reg.T_MODE] & 0x0F) << 8) | self._regs[r.Reg.T_PRESCALER]
        reload = (self._regs[r.Reg.T_RELOAD_HI] << 8) | self._regs[r.Reg.T_RELOAD_LO]
        expiry = start + r.timer_period_s(prescaler, reload)
        if stop_at is not None and stop_at < expiry:
            self._timer_expiry = None  # the answer started in time: the timer stops before it runs out
            return
        self._timer_expiry = expiry

        def expire() -> None:
            if self._timer_expiry != expiry:
                return  # restarted or stopped since: a timer has one count-down at a time
            self._regs[r.Reg.COM_IRQ] |= r.IRQ_TIMER
            self._timer_expiry = None
            self._drive_irq_pin()

        self._schedule(expiry, expire)

    def _receive(self, pending: _Pending, answer_start: float, rx_align: int) -> None:
        """Schedule the answer into the FIFO byte by byte as it comes off the air, and RxIRq at its end."""
        bits = list(pending.answer)
        error = 0
        coll = self._regs[r.Reg.COLL] & r.COLL_VALUES_AFTER_COLL
        if pending.collision_at is not None:
            error |= r.ERR_COLLISION
            if not coll:
                bits[pending.collision_at + 1 :] = [0] * (len(bits) - pending.collision_at - 1)
            position = rx_align + pending.collision_at + 1
            coll |= (position % 32) if position <= 32 else r.COLL_POS_NOT_VALID
        for index, byte in enumerate(to_bytes(bits, rx_align)):
            bits_in = min(8 * (index + 1) - rx_align, len(bits))  # answer bits on air once this byte is in
            on_air_until = answer_start + r.frame_time_s(bits_in) - r.BIT_TIME_S  # the end bit comes after
            in_fifo_at = on_air_until + self.receive_lag_s
            self._schedule(in_fifo_at, lambda byte=byte: self._push_received(pending, byte))

        def received() -> None:
            self._regs[r.Reg.COLL] = coll
            self._regs[r.Reg.ERROR] = error | (r.ERR_BUFFER_OVERFLOW if pending.overflowed else 0)
            self._regs[r.Reg.CONTROL] = (rx_align + len(bits)) % 8
            self._regs[r.Reg.COM_IRQ] |= r.IRQ_RX | (r.IRQ_ERR if self._regs[r.Reg.ERROR] else 0)
            self._drive_irq_pin()

        self._schedule(pending.rx_end + self.receive_lag_s, received)

    def _push_received(self, pending: _Pending, byte: int) -> None:
        if len(self._fifo) < r.FIFO_SIZE:
            self._fifo.append(byte)
        else:
            pending.overflowed = True

    # --- time

    def _schedule(self, at: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, _Event(at, next(self._seq), action))

    def _catch_up(self, now: float) -> None:
        while self._events and self._events[0].at <= now:
            heapq.heappop(self._events).action()

    def _on_clock(self, now: float) -> None:
        if self.fault is Fault.NONE:
            self._catch_up(now)  # so the IRQ pin changes when time passes, not only when we are read

    # --- pins

    def _irq_active(self) -> bool:
        com = self._regs[r.Reg.COM_IRQ] & self._regs[r.Reg.COM_IEN] & r.IRQ_ALL
        div = self._regs[r.Reg.DIV_IRQ] & self._regs[r.Reg.DIV_IEN] & r.DIV_IRQ_CRC
        return bool(com or div)

    def _drive_irq_pin(self) -> None:
        if self.irq_pin is None:
            return
        inverted = bool(self._regs[r.Reg.COM_IEN] & 0x80)
        if self._irq_active() != inverted:
            self.irq_pin.drive_high()
        else:
            self.irq_pin.drive_low()

    def wire_irq_pin(self, pin) -> None:
        """Drive this gpiozero MockPin as the chip's IRQ output."""
        self.irq_pin = pin
        self.clock.subscribe(self._on_clock)
        self._drive_irq_pin()

    def hold_in_reset(self, held: bool) -> None:
        """The NRSTPD line: low powers the chip down; releasing it is a power-on reset."""
        if held and not self._held_in_reset:
            self._events.clear()
            self._set_antenna(False)
        elif self._held_in_reset and not held:
            self._power_on_reset()
        self._held_in_reset = held


def _superpose(answers: list[Bits]) -> tuple[Bits, int | None]:
    """What the reader hears when tags answer together: the first differing bit collides."""
    length = max(len(answer) for answer in answers)
    heard, collision = [], None
    for i in range(length):
        values = {answer[i] for answer in answers if i < len(answer)}
        if len(values) > 1 and collision is None:
            collision = i
        heard.append(max(values))
    return tuple(heard), collision


# --- the bus: which chip hears a transfer


class CeLine:
    """Chip select by a hardware CE line: asserted by the kernel during transfers on spidevB.N."""

    def __init__(self, device: int):
        self.device = device

    def asserted(self, ce: int | None, level: Callable) -> bool:
        return ce == self.device


class GpioLine:
    """Chip select by a GPIO driven low by the driver (gpiozero mock pin)."""

    def __init__(self, pin):
        self.pin = pin

    def asserted(self, ce: int | None, level: Callable) -> bool:
        return level(self.pin) == 0


class Decoder:
    """A 74HC138/74HC154 on shared address lines, enabled by a CE line or a GPIO."""

    def __init__(self, address_pins: Sequence, enable: CeLine | GpioLine):
        self.address_pins = address_pins
        self.enable = enable

    def output(self, ce: int | None, level: Callable) -> int | None:
        """The output pulled low now, or None while disabled."""
        if not self.enable.asserted(ce, level):
            return None
        return sum((level(pin) or 0) << bit for bit, pin in enumerate(self.address_pins))


class DecoderOutput:
    """One output of a decoder, wired to one chip's chip-select input."""

    def __init__(self, decoder: Decoder, index: int):
        self.decoder = decoder
        self.index = index

    def asserted(self, ce: int | None, level: Callable) -> bool:
        return level(self.decoder, lambda: self.decoder.output(ce, level)) == self.index


class EmulatedSpiBus:
    """SPI bus `number`: chips on their select lines, the clock, and a count of transfers."""

    def __init__(self, clock: EmulatedClock, *, number: int = 0, call_overhead_s: float = 50e-6):
        self.clock = clock
        self.number = number
        self.call_overhead_s = call_overhead_s
        self.transfers = 0
        self.bytes = 0
        self._chips: list[tuple[EmulatedMfrc522, CeLine | GpioLine | DecoderOutput]] = []

    def attach(self, chip: EmulatedMfrc522, select: CeLine | GpioLine | DecoderOutput) -> EmulatedMfrc522:
        self._chips.append((chip, select))
        return chip

    def transfer(self, mosi: Sequence[int], *, ce: int | None, speed_hz: int) -> list[int]:
        self.clock.advance(self.call_overhead_s + len(mosi) * 8 / speed_hz)
        self.transfers += 1
        self.bytes += len(mosi)
        levels: dict[int, int | None] = {}

        def level(pin, compute=None) -> int | None:
            """A pin's level during this transfer (None if nothing drives it), or a decoder's
            output: each is worked out once per transfer however many chips ask."""
            if id(pin) not in levels:
                levels[id(pin)] = compute() if compute else (int(pin.state) if pin.function == "output" else None)
            return levels[id(pin)]

        selected = [chip for chip, select in self._chips if select.asserted(ce, level)]
        miso = [0] * len(mosi)  # nothing driving MISO reads as 0
        for n, chip in enumerate(selected):
            answer = chip.transfer(mosi)
            # Several chips driving MISO at once: the low ones win, as on real wired-AND contention.
            miso = answer if n == 0 else [a & b for a, b in zip(miso, answer)]
        return miso


class EmulatedSpiDev:
    """A `spidev.SpiDev` look-alike: open(bus, device), max_speed_hz, no_cs, xfer2, close."""

    def __init__(self, buses: dict[int, EmulatedSpiBus]):
        self._buses = buses
        self._bus: EmulatedSpiBus | None = None
        self._device = 0
        self.max_speed_hz = 500_000
        self.mode = 0
        self.no_cs = False

    def open(self, bus: int, device: int) -> None:
        if bus not in self._buses:
            raise FileNotFoundError(f"/dev/spidev{bus}.{device}")
        self._bus, self._device = self._buses[bus], device

    def xfer2(self, data: Iterable[int]) -> list[int]:
        if self._bus is None:
            raise OSError("SPI device is not open")
        ce = None if self.no_cs else self._device
        return self._bus.transfer(list(data), ce=ce, speed_hz=self.max_speed_hz)

    def close(self) -> None:
        self._bus = None


class EmulatedWall:
    """Chips wired as a ReadersConfig says: one emulated bus, MockFactory pins, one clock.

    `wall.build_readers()` builds the configured readers on it; put tags on
    `wall.chips[reader_id]`.
    """

    def __init__(
        self,
        config: ReadersConfig,
        *,
        pin_factory: MockFactory | None = None,
        call_overhead_s: float = 50e-6,
        version: int = 0x92,
        seed: int = 0,
    ):
        self.config = config
        self.clock = EmulatedClock()
        self.pin_factory = pin_factory or MockFactory()
        self.bus = EmulatedSpiBus(self.clock, number=config.spi_bus, call_overhead_s=call_overhead_s)
        self.chips: dict[str, EmulatedMfrc522] = {}
        self._decoders: dict[tuple[str, int], Decoder] = {}
        for reader_id, wiring in config.wiring.items():
            chip = EmulatedMfrc522(self.clock, version=version, rng=random.Random(f"{seed}:{reader_id}"))
            if wiring.irq_pin is not None:
                chip.wire_irq_pin(self.pin_factory.pin(wiring.irq_pin))
            self.chips[reader_id] = self.bus.attach(chip, self._select_line(config, *wiring.line))
        if config.reset_pin is not None:
            self._reset_pin = self.pin_factory.pin(config.reset_pin)
            self._reset_held = False
            self.clock.subscribe(self._follow_reset_line)

    def _select_line(self, config: ReadersConfig, kind: str, number: int) -> CeLine | GpioLine | DecoderOutput:
        if kind == "ce":
            return CeLine(number)
        if kind == "gpio":
            return GpioLine(self.pin_factory.pin(number))
        enable = config.decoder.enable_of(number)
        if enable not in self._decoders:
            kind, pin = enable
            address = [self.pin_factory.pin(pin) for pin in config.decoder.address_pins]
            self._decoders[enable] = Decoder(address, CeLine(pin) if kind == "ce" else GpioLine(self.pin_factory.pin(pin)))
        return DecoderOutput(self._decoders[enable], number % config.decoder.outputs_per_decoder)

    def _follow_reset_line(self, now: float) -> None:
        held = self._reset_pin.function == "output" and not self._reset_pin.state
        if held != self._reset_held:
            self._reset_held = held
            for chip in self.chips.values():
                chip.hold_in_reset(held)

    def spi_factory(self) -> EmulatedSpiDev:
        return EmulatedSpiDev({self.bus.number: self.bus})

    def build_readers(self) -> dict:
        return build_readers(self.config, pin_factory=self.pin_factory, spi_factory=self.spi_factory, clock=self.clock)

    def settle(self, seconds: float = 10e-3) -> None:
        """Let time pass without SPI traffic: tags just placed power up."""
        self.clock.advance(seconds)
