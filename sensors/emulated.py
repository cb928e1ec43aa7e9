"""An emulated MFRC522 on an emulated SPI bus, with ISO 14443-A tags in its field.

Tests and the benchmark drive the real driver (and third-party drivers) through this
instead of hardware. Everything runs on an emulated clock: each SPI transfer costs its
bytes at the configured SPI speed plus a per-call overhead (the Python and kernel cost
of one `xfer2`), and a tag's answer appears only after its RF frame time. So "how many
transfers" and "how long" are deterministic and can be counted.

By default the chip and its tags behave as badly as the NXP MFRC522 datasheet (rev. 3.9)
and ISO/IEC 14443-3 allow, so a driver that passes here does not lean on a kindness a
real part need not show. Every such choice is a `ChipBehaviour` field or an
`EmulatedTag` parameter naming its source; docs/readers.md lists them with what a
capture from a real RC522 would settle. Where the datasheet leaves a behaviour open,
`VARIANTS` holds each reading, and what a driver does that a real chip would punish
is written to `EmulatedMfrc522.would_fail`.

Modelled: the registers the drivers use, the 64-byte FIFO, the timer, ComIrq/DivIrq
with Set1/Set2 write semantics, the IRQ pin, the commands Idle, Transmit, Transceive,
CalcCRC and SoftReset with the modem states that matter (waiting for StartSend,
transmitting, waiting for data, receiving), the antenna, and bit-oriented frames
(TxLastBits, RxAlign, RxLastBits, CollReg). Tags follow the ISO 14443-3 state machine
(IDLE, READY per cascade level, ACTIVE, HALT, and READY*/ACTIVE* when woken from HALT)
for REQA, WUPA, anticollision, SELECT and HLTA with 4-, 7- and 10-byte UIDs; a frame
reaches a tag when its last bit is on air, and an answer is put together as it goes on
air from the tags still in the field (looked at as each byte comes in), colliding bit
by bit; a tag lifted mid-answer cuts it.
Chip-side CRC (TxCRCEn/RxCRCEn) is not modelled and refuses to be set.
"""

import ctypes
import heapq
import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum, auto

from gpiozero.pins.mock import MockFactory

from board.core.uid import normalise_uid
from sensors import mfrc522_regs as r
from sensors.hardware import Line, ReadersConfig, build_readers
from sensors.mfrc522_regs import to_bits, to_bytes
from sensors.spi_message import read_transfers

Bits = tuple[int, ...]  # a frame on air, as r.to_bits gives it

# ISO/IEC 14443-3 clause 5 (polling): a PICC in an unmodulated field shall accept a
# request within 5 ms. A tag may use all of it.
TAG_POWER_UP_S = 5e-3
# ISO/IEC 14443-3 clause 5: a PCD resets PICCs by switching the field off for t_RESET,
# at least 5 ms. A tag may keep its state through any shorter gap (its supply capacitor).
TAG_KEEPS_STATE_S = 5e-3


class EmulatedClock:
    """Emulated time in seconds, a `sensors.sweep.ReaderClock`; listeners hear every step so chips can drive their IRQ pins."""

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
    field gap shorter than `keeps_state_s`; both default to ISO's bounds, so a reader
    must wait 5 ms after switching the field on, and cannot count on a short gap to
    reset a tag (WUPA wakes it instead).
    """

    def __init__(
        self,
        uid: str | bytes,
        *,
        sak: int | None = None,
        power_up_s: float = TAG_POWER_UP_S,
        keeps_state_s: float = TAG_KEEPS_STATE_S,
    ):
        self.uid = bytes.fromhex(normalise_uid(uid))
        self.sak = sak if sak is not None else (0x08 if len(self.uid) == 4 else 0x00)
        self.power_up_s = power_up_s
        self.keeps_state_s = keeps_state_s
        self.state = TagState.IDLE
        self.powered = False
        self._halted = False  # woke from HALT (READY*, ACTIVE*): errors send it back there, not to IDLE
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
        if at - self._off_since >= self.keeps_state_s:
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

    def receive_garbled(self) -> None:
        """A frame that reached it with a parity or CRC error: ISO 14443-3 treats it as unexpected."""
        if self.state is not TagState.HALT:
            self._error()

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


class CollPos(Enum):
    """Where CollReg.CollPos counts from in a frame received with RxAlign > 0 (datasheet, CollReg
    says only "the bit position of the first detected collision in a received frame")."""

    FROM_FIFO_BIT_0 = "fifo"  # RxAlign bits count: the position in the first FIFO byte
    FROM_FIRST_RECEIVED_BIT = "received"  # RxAlign bits do not count


@dataclass(frozen=True)
class ChipBehaviour:
    """What the emulated chip does where a real one may differ. Defaults: the worst allowed.

    Rates are per frame, and hit every frame type (REQA/WUPA, anticollision, SELECT, HLTA).
    """

    # Not specified: how long after the last bit on air an answer's bytes and RxIRq reach the
    # host. Random per frame, up to this (end-of-frame detection needs one silent bit time).
    receive_lag_max_s: float = 3 * r.BIT_TIME_S
    # The datasheet (CollReg) is open: see CollPos.
    coll_pos: CollPos = CollPos.FROM_FIRST_RECEIVED_BIT
    # The datasheet (Transceive command) says StartSend starts each transmission, not whether it
    # does while the receiver still waits for data (after a timeout, or a frame nobody answers).
    start_send_while_waiting_for_data: bool = False
    # Datasheet 8.8.2: once its clock is stable the chip needs t_delay = 1024 / 27.12 MHz
    # (37.74 us) before it can be addressed; taken here as the time after SoftReset during which
    # CommandReg PowerDown reads 1 and writes are lost.
    reset_time_s: float = 1024 / 27.12e6
    # Not specified: how long CalcCRC takes over a few bytes before the result and CRCIRq are in.
    crc_time_s: float = 2e-6
    # Not from a document: channel conditions to survive. A PCD frame a tag receives broken
    # (ISO 14443-3: treated as unexpected, so READY/ACTIVE tags drop to IDLE or HALT).
    pcd_frame_error_rate: float = 0.0
    # An answer the chip receives broken: a parity error (ErrorReg ParityErr), two flips in a
    # byte that parity misses (CRCErr only with RxCRCEn; the host's BCC/CRC_A must catch it),
    # or a bad start of frame (ProtocolErr), each a third of the time.
    picc_frame_error_rate: float = 0.0
    # Noise the receiver takes for a frame where no tag answered (a few bytes, ParityErr).
    noise_frame_rate: float = 0.0

    def corrupted(self, rate: float) -> "ChipBehaviour":
        """The same chip on a channel that breaks `rate` of the frames each way and adds noise frames."""
        return replace(self, pcd_frame_error_rate=rate, picc_frame_error_rate=rate, noise_frame_rate=rate)


WORST = ChipBehaviour()
# Every reading of what the datasheet leaves open; a driver must read tags under each.
VARIANTS = {
    f"collpos-{coll_pos.value}-startsend-{'sends' if sends else 'ignored'}": replace(
        WORST, coll_pos=coll_pos, start_send_while_waiting_for_data=sends
    )
    for coll_pos in CollPos
    for sends in (False, True)
}


class Modem(Enum):
    """Status2Reg ModemState, as far as it decides what the host may do."""

    IDLE = auto()
    WAIT_START_SEND = auto()
    TRANSMITTING = auto()
    WAIT_FOR_DATA = auto()  # transmitted; the receiver waits, whether or not the timer ran out
    RECEIVING = auto()


@dataclass
class _Answer:
    """An answer going on air: the tags sending it, and what the chip has heard so far."""

    responders: list[tuple["EmulatedTag", Bits]]
    start: float
    rx_align: int
    lag_s: float
    generation: int
    heard: list[int] = field(default_factory=list)
    collision_at: int | None = None
    error: int = 0
    flips: tuple[int, ...] = ()  # bit positions the channel corrupts
    pushed: int = 0  # bytes of `heard` in the FIFO
    overflowed: bool = False  # a received byte found the FIFO full

    @property
    def length(self) -> int:
        return max(len(bits) for _, bits in self.responders)


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class EmulatedMfrc522:
    """One chip: a register file behind `transfer()`, with tags placed in its field."""

    def __init__(
        self,
        clock: EmulatedClock,
        *,
        version: int = 0x92,
        rng: random.Random | None = None,
        behaviour: ChipBehaviour = WORST,
    ):
        self.clock = clock
        self.version = version
        self.rng = rng or random.Random(0)
        self.behaviour = behaviour
        self.tags: list[EmulatedTag] = []
        self.fault = Fault.NONE
        self.tag_loss_rate = 0.0
        self.irq_pin = None  # a gpiozero MockPin the chip drives; see wire_irq_pin
        self.would_fail: list[str] = []  # what a driver did that a real chip would punish
        self.reads_past_fifo_level = 0  # FIFO reads with the FIFO empty: undefined values (noise here)
        self._held_in_reset = False
        self._events: list[_Event] = []
        self._seq = itertools.count()
        self._generation = 0  # a new command or reset ends whatever radio work the last one scheduled
        self._power_on_reset()

    # --- the world around the chip

    def place(self, *tags: EmulatedTag | str) -> list[EmulatedTag]:
        """Put tags (or UIDs) in the field; returns the tag objects."""
        placed = [tag if isinstance(tag, EmulatedTag) else EmulatedTag(tag) for tag in tags]
        self._catch_up(self.clock.now())
        for tag in placed:
            self.tags.append(tag)
            if self.antenna_on:
                tag.power_on(self.clock.now())
        return placed

    def remove(self, *tags: EmulatedTag) -> None:
        """Take tags away now; an answer they are sending stops where it is."""
        self._catch_up(self.clock.now())
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

    def _punish(self, what: str) -> None:
        self.would_fail.append(f"{self.clock.now() * 1e3:.3f} ms: {what}")

    # --- SPI

    def transfer(self, mosi: Sequence[int]) -> list[int]:
        """One chip-select-low SPI transaction, as the chip sees it (datasheet 8.1.2)."""
        if self.fault in (Fault.SILENT, Fault.UNPLUGGED) or self._held_in_reset:
            return [0] * len(mosi)
        if self.fault is Fault.GARBAGE:
            return [self.rng.randrange(256) for _ in mosi]
        self._catch_up(self.clock.now())
        register = (mosi[0] >> 1) & 0x3F
        if mosi[0] & 0x01:
            self._punish(f"address byte 0x{mosi[0]:02X} has bit 0 set; the datasheet (8.1.2.3) says it is 0")
        if mosi[0] & r.SPI_READ:
            # Each byte after the first names the next register to read; the last is a dummy.
            miso = [0]
            for address in mosi[:-1]:
                if not address & r.SPI_READ:
                    self._punish(
                        f"read frame went on with 0x{address:02X}, not a read address: a write cannot join a read"
                    )
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
        self._modem = Modem.IDLE
        self._held_frame: bool = False  # a transmission TxWaitRF holds until the field is on
        self._powering_up_until = self.clock.now() + self.behaviour.reset_time_s
        self._timer_expiry: float | None = None
        self._generation += 1
        self._events.clear()
        self._set_antenna(False)

    @property
    def antenna_on(self) -> bool:
        return bool(self._regs[r.Reg.TX_CONTROL] & r.TX_CONTROL_ANTENNA)

    def _read(self, register: int) -> int:
        if register == r.Reg.FIFO_DATA:
            if self._fifo:
                return self._fifo.pop(0)
            self.reads_past_fifo_level += 1
            return self.rng.randrange(256)
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
            self._punish(f"wrote register 0x{register:02X} while CommandReg PowerDown was set after a reset: lost")
            return
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
                    self._start_send()
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
        if self._modem in (Modem.WAIT_FOR_DATA, Modem.RECEIVING):
            # Datasheet, ErrorReg WrErr: "data written into the FIFO buffer by the host ... between
            # sending the last bit on the RF interface and receiving the last bit on the RF interface".
            self._regs[r.Reg.ERROR] |= r.ERR_WRITE
            self._punish("wrote the FIFO while the receiver waited for data (ErrorReg WrErr)")
        if self._command == r.Command.CALC_CRC:
            self._crc_data.append(value)
            self._finish_crc()
        elif len(self._fifo) < r.FIFO_SIZE:
            self._fifo.append(value)
        else:
            self._regs[r.Reg.ERROR] |= r.ERR_BUFFER_OVERFLOW

    def _start_command(self, value: int) -> None:
        """A new command ends the running one; the timer runs on (datasheet 8.5 ties it to no command)."""
        command = value & r.COMMAND_MASK
        self._generation += 1
        self._held_frame = False
        if command == r.Command.SOFT_RESET:
            self._power_on_reset()
            return
        self._command = r.Command(command)
        self._regs[r.Reg.ERROR] &= ~r.ERR_WRITE
        self._modem = Modem.WAIT_START_SEND if command == r.Command.TRANSCEIVE else Modem.IDLE
        if command == r.Command.TRANSMIT:
            self._send(transmit_only=True)
        elif command == r.Command.CALC_CRC:
            if self._regs[r.Reg.DIV_IRQ] & r.DIV_IRQ_CRC:
                self._punish("started CalcCRC with CRCIRq still set: a wait for CRCIRq returns before the result")
            self._crc_data = bytearray(self._fifo)
            self._fifo.clear()
            self._finish_crc()

    def _finish_crc(self) -> None:
        """CRCIRq stays as it was (set bits stay set until the host clears them) until the result is in."""
        preset = r.CRC_PRESETS[self._regs[r.Reg.MODE] & r.MODE_CRC_PRESET_MASK]
        crc = r.crc_a(bytes(self._crc_data), preset)
        generation = self._generation

        def done() -> None:
            if generation == self._generation:
                self._regs[r.Reg.CRC_RESULT_LSB], self._regs[r.Reg.CRC_RESULT_MSB] = crc
                self._regs[r.Reg.DIV_IRQ] |= r.DIV_IRQ_CRC

        self._schedule(self.clock.now() + self.behaviour.crc_time_s, done)

    def _set_antenna(self, on: bool) -> None:
        for tag in self.tags:
            if on:
                tag.power_on(self.clock.now())
            else:
                tag.power_off(self.clock.now())
        if on and self._held_frame:
            self._held_frame = False
            self._send(transmit_only=self._command == r.Command.TRANSMIT)

    # --- RF

    def _start_send(self) -> None:
        if self._modem is Modem.WAIT_START_SEND:
            self._send(transmit_only=False)
        elif self._modem is Modem.WAIT_FOR_DATA and self.behaviour.start_send_while_waiting_for_data:
            self._generation += 1  # the receiver gives up on the frame it waited for
            self._send(transmit_only=False)
        else:
            state = self._modem.name.lower().replace("_", " ")
            self._punish(f"set StartSend while the modem was '{state}': ignored")

    def _send(self, *, transmit_only: bool) -> None:
        """Put the FIFO on air; its effects land when its last bit is out."""
        if not self.antenna_on:
            if self._regs[r.Reg.MODE] & r.MODE_TX_WAIT_RF:
                self._held_frame = True  # ModeReg TxWaitRF: the transmitter waits for the field
                return
            self._punish("transmitted with the field off (ModeReg TxWaitRF clear): nothing went on air")
        framing = self._regs[r.Reg.BIT_FRAMING]
        frame = to_bits(self._fifo, framing & 0x07)
        self._fifo.clear()
        heard_by_tags = self.antenna_on
        if heard_by_tags and not self._regs[r.Reg.TX_ASK] & r.TX_ASK_FORCE_100:
            self._punish("sent a frame without TxASKReg Force100ASK: type A tags need 100 % ASK and do not hear it")
            heard_by_tags = False
        tx_end = self.clock.now() + r.frame_time_s(len(frame))
        self._modem = Modem.TRANSMITTING
        generation = self._generation

        def sent() -> None:
            if generation == self._generation:
                self._transmitted(frame if heard_by_tags else None, tx_end, transmit_only, (framing >> 4) & 0x07)

        self._schedule(tx_end, sent)

    def _transmitted(self, frame: Bits | None, tx_end: float, transmit_only: bool, rx_align: int) -> None:
        """The last bit is out: interrupts, the timer, the tags' reactions and their answer."""
        self._regs[r.Reg.COM_IRQ] |= r.IRQ_TX
        if transmit_only:
            self._regs[r.Reg.COM_IRQ] |= r.IRQ_IDLE
            self._command = r.Command.IDLE
            self._modem = Modem.IDLE
        else:
            self._modem = Modem.WAIT_FOR_DATA
        if self._regs[r.Reg.T_MODE] & r.T_MODE_AUTO:  # "at the end of the transmission in all communication modes"
            self._start_timer(tx_end)
        self._drive_irq_pin()
        responders = self._tag_answers(frame, tx_end) if frame is not None else []
        if transmit_only:
            return
        # ISO 14443-3 frame delay time (n = 9): the answer starts 1236/fc after a frame ending in 1, 1172/fc after a 0.
        start = tx_end + (r.FRAME_DELAY_S if frame and frame[-1] else r.FRAME_DELAY_AFTER_0_S)
        lag_s = self.rng.uniform(0, self.behaviour.receive_lag_max_s)
        answer = _Answer(responders, start, rx_align, lag_s, self._generation)
        if not responders:
            if self.rng.random() >= self.behaviour.noise_frame_rate:
                return
            noise = tuple(self.rng.randrange(2) for _ in range(8 * self.rng.randint(1, 5)))
            answer.responders = [(None, noise)]
            answer.error = r.ERR_PARITY
        elif self.rng.random() < self.behaviour.picc_frame_error_rate:
            self._corrupt(answer)
        self._schedule(start + 5 * r.BIT_TIME_S, lambda: self._answer_started(answer))
        self._schedule_byte(answer, 0)

    def _tag_answers(self, frame: Bits, at: float) -> list[tuple[EmulatedTag, Bits]]:
        is_request = len(frame) == r.SHORT_FRAME_BITS
        garbled = self.rng.random() < self.behaviour.pcd_frame_error_rate
        answers = []
        for tag in self.tags:
            if not tag.hears(at):
                continue
            if garbled:
                tag.receive_garbled()
                continue
            if is_request and self.tag_loss_rate and self.rng.random() < self.tag_loss_rate:
                continue
            bits = tag.receive(frame)
            if bits is not None:
                answers.append((tag, bits))
        return answers

    def _corrupt(self, answer: _Answer) -> None:
        length = answer.length
        kind = self.rng.randrange(3)
        if kind == 0:  # one flipped bit: its byte's parity fails
            answer.flips = (self.rng.randrange(length),)
            answer.error = r.ERR_PARITY
        elif kind == 1 and length >= 8:  # two flips in one byte: parity holds, the data is wrong
            byte = self.rng.randrange(length // 8)
            first, second = self.rng.sample(range(8), 2)
            answer.flips = (8 * byte + first, 8 * byte + second)
        else:
            answer.error = r.ERR_PROTOCOL

    def _answer_started(self, answer: _Answer) -> None:
        """TModeReg TAuto: the timer stops once the 5th bit of an answer (start bit and 4) is in."""
        if answer.generation != self._generation or self._modem is not Modem.WAIT_FOR_DATA:
            return
        self._hear(answer, min(4, answer.length))
        if answer.heard:
            self._modem = Modem.RECEIVING
            self._timer_expiry = None

    def _sending(self, answer: _Answer) -> list[Bits]:
        """The answers of the responders still in the field (noise needs no tag)."""
        return [bits for tag, bits in answer.responders if tag is None or (tag in self.tags and tag.powered)]

    def _schedule_byte(self, answer: _Answer, index: int) -> None:
        bits_in = min(8 * (index + 1) - answer.rx_align, answer.length)  # answer bits on air once this byte is in
        on_air_until = answer.start + r.frame_time_s(bits_in) - r.BIT_TIME_S  # the end bit comes after
        at = on_air_until + answer.lag_s
        self._schedule(at, lambda: self._byte_in(answer, index, bits_in, at))

    def _byte_in(self, answer: _Answer, index: int, bits_in: int, at: float) -> None:
        """Hear one more byte from whichever tags are still in the field; a frame they all left ends."""
        if answer.generation != self._generation:
            return
        self._hear(answer, bits_in)
        packed = to_bytes(answer.heard, answer.rx_align) if answer.heard else b""
        for byte in packed[answer.pushed :]:  # this byte, or what a cut left of it
            self._push_received(answer, byte)
        answer.pushed = len(packed)
        if len(answer.heard) < bits_in or len(answer.heard) == answer.length:
            self._schedule(at + r.BIT_TIME_S, lambda: self._received(answer))  # after the end bit
        else:
            self._schedule_byte(answer, index + 1)

    def _hear(self, answer: _Answer, bits_in: int) -> None:
        """The answer's bits up to `bits_in`, from the tags in the field now; none left ends it."""
        sending = self._sending(answer)
        keep_after_collision = self._regs[r.Reg.COLL] & r.COLL_VALUES_AFTER_COLL
        for i in range(len(answer.heard), bits_in):
            values = {bits[i] for bits in sending if i < len(bits)}
            if not values:
                break  # nobody sends this bit: the frame ends here
            if len(values) > 1 and answer.collision_at is None:
                answer.collision_at = i
            after_collision = answer.collision_at is not None and i > answer.collision_at
            bit = 0 if after_collision and not keep_after_collision else max(values)
            answer.heard.append(bit ^ (i in answer.flips))

    def _received(self, answer: _Answer) -> None:
        """The end of the answer, or of what was left of it when its tags left: RxIRq."""
        if answer.generation != self._generation:
            return
        if not answer.heard:
            self._modem = Modem.WAIT_FOR_DATA  # every tag left before a bit was out: nothing was received
            return
        error = answer.error
        coll = 0
        if answer.collision_at is not None:
            error |= r.ERR_COLLISION
            counted_from = answer.rx_align if self.behaviour.coll_pos is CollPos.FROM_FIFO_BIT_0 else 0
            position = counted_from + answer.collision_at + 1
            coll = (position % 32) if position <= 32 else r.COLL_POS_NOT_VALID
        self._regs[r.Reg.COLL] = (self._regs[r.Reg.COLL] & r.COLL_VALUES_AFTER_COLL) | coll
        overflow = r.ERR_BUFFER_OVERFLOW if answer.overflowed else 0
        self._regs[r.Reg.ERROR] = error | overflow | (self._regs[r.Reg.ERROR] & r.ERR_WRITE)
        self._regs[r.Reg.CONTROL] = (answer.rx_align + len(answer.heard)) % 8
        self._regs[r.Reg.COM_IRQ] |= r.IRQ_RX | (r.IRQ_ERR if self._regs[r.Reg.ERROR] else 0)
        self._modem = Modem.WAIT_START_SEND  # RxModeReg RxMultiple = 0: the receiver stops after a frame
        self._timer_expiry = None
        self._drive_irq_pin()

    def _push_received(self, answer: _Answer, byte: int) -> None:
        if len(self._fifo) < r.FIFO_SIZE:
            self._fifo.append(byte)
        else:
            answer.overflowed = True

    def _start_timer(self, start: float) -> None:
        prescaler = ((self._regs[r.Reg.T_MODE] & 0x0F) << 8) | self._regs[r.Reg.T_PRESCALER]
        reload = (self._regs[r.Reg.T_RELOAD_HI] << 8) | self._regs[r.Reg.T_RELOAD_LO]
        expiry = start + r.timer_period_s(prescaler, reload)
        self._timer_expiry = expiry

        def expire() -> None:
            if self._timer_expiry != expiry:
                return  # restarted or stopped since: a timer has one count-down at a time
            self._regs[r.Reg.COM_IRQ] |= r.IRQ_TIMER
            self._timer_expiry = None
            self._drive_irq_pin()

        self._schedule(expiry, expire)

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
    """SPI bus `number`: chips on their select lines, the clock, and a count of transfers.

    `chip_selects` is how many the kernel drives there, so how many /dev/spidevB.N exist:
    two with `dtparam=spi=on`, more with an overlay (docs/readers.md)."""

    def __init__(self, clock: EmulatedClock, *, number: int = 0, call_overhead_s: float = 50e-6, chip_selects: int = 2):
        self.clock = clock
        self.number = number
        self.chip_selects = chip_selects
        self.call_overhead_s = call_overhead_s
        self.transfers = 0  # calls: an xfer2 or an SPI_IOC_MESSAGE ioctl, each paying the call overhead
        self.frames = 0  # chip-select frames: one per xfer2, one or more per message
        self.bytes = 0
        self._chips: list[tuple[EmulatedMfrc522, CeLine | GpioLine | DecoderOutput]] = []

    def attach(self, chip: EmulatedMfrc522, select: CeLine | GpioLine | DecoderOutput) -> EmulatedMfrc522:
        self._chips.append((chip, select))
        return chip

    def transfer(self, mosi: Sequence[int], *, ce: int | None, speed_hz: int) -> list[int]:
        """One call with one chip-select frame (spidev's xfer2)."""
        return self.message([mosi], ce=ce, speed_hz=speed_hz)[0]

    def message(self, frames: Sequence[Sequence[int]], *, ce: int | None, speed_hz: int) -> list[list[int]]:
        """One call with several chip-select frames (an SPI_IOC_MESSAGE): the call overhead once,
        then each frame's bytes, each frame heard by the chips selected for it."""
        self.clock.advance(self.call_overhead_s)
        self.transfers += 1
        answers = []
        for mosi in frames:
            self.clock.advance(len(mosi) * 8 / speed_hz)
            self.bytes += len(mosi)
            self.frames += 1
            answers.append(self._frame(list(mosi), ce))
        return answers

    def _frame(self, mosi: list[int], ce: int | None) -> list[int]:
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
        if bus not in self._buses or device >= self._buses[bus].chip_selects:
            raise FileNotFoundError(f"/dev/spidev{bus}.{device}")
        self._bus, self._device = self._buses[bus], device

    def xfer2(self, data: Iterable[int]) -> list[int]:
        if self._bus is None:
            raise OSError("SPI device is not open")
        ce = None if self.no_cs else self._device
        return self._bus.transfer(list(data), ce=ce, speed_hz=self.max_speed_hz)

    def ioctl(self, request: int, transfers) -> None:
        """SPI_IOC_MESSAGE as the kernel's spidev runs it: transfers joined into one chip-select
        frame until one asks for cs_change. In no_cs mode the kernel drives no chip select, so
        the whole message is one frame for a chip selected by a GPIO held low around it."""
        if self._bus is None:
            raise OSError("SPI device is not open")
        parts = read_transfers(request, transfers)
        frames: list[list[int]] = [[]]
        for data, _rx, cs_change in parts:
            frames[-1] += data
            if cs_change and not self.no_cs:
                frames.append([])
        frames = [frame for frame in frames if frame]
        ce = None if self.no_cs else self._device
        miso = [byte for answer in self._bus.message(frames, ce=ce, speed_hz=self.max_speed_hz) for byte in answer]
        for data, rx, _cs_change in parts:
            ctypes.memmove(rx, bytes(miso[: len(data)]), len(data))
            miso = miso[len(data) :]

    def close(self) -> None:
        self._bus = None


class EmulatedWall:
    """Chips wired as a ReadersConfig says: an emulated bus for each of its SPI buses, MockFactory
    pins, one clock.

    `wall.build_readers()` builds the configured readers on it; put tags on
    `wall.chips[reader_id]`. Each bus has the chip selects `readers.kernel_chip_selects` says
    config.txt gives it, unless `chip_selects` ({bus: count}) says the Pi was set up otherwise.
    """

    def __init__(
        self,
        config: ReadersConfig,
        *,
        pin_factory: MockFactory | None = None,
        call_overhead_s: float = 50e-6,
        version: int = 0x92,
        seed: int = 0,
        behaviour: ChipBehaviour = WORST,
        chip_selects: dict[int, int] | None = None,
    ):
        self.config = config
        self.clock = EmulatedClock()
        self.pin_factory = pin_factory or MockFactory()
        counts = {bus: len(config.kernel_chip_selects.pins(bus)) for bus in config.buses()} | (chip_selects or {})
        self.buses = {
            bus: EmulatedSpiBus(self.clock, number=bus, call_overhead_s=call_overhead_s, chip_selects=count)
            for bus, count in counts.items()
        }
        self.bus = self.buses[config.spi_bus]
        self.chips: dict[str, EmulatedMfrc522] = {}
        self._decoders: dict[Line, tuple[int, Decoder]] = {}
        for reader_id, wiring in config.wiring.items():
            rng = random.Random(f"{seed}:{reader_id}")
            chip = EmulatedMfrc522(self.clock, version=version, rng=rng, behaviour=behaviour)
            if wiring.irq_pin is not None:
                chip.wire_irq_pin(self.pin_factory.pin(wiring.irq_pin))
            bus, select = self._select_line(config, wiring.line)
            self.chips[reader_id] = self.buses[bus].attach(chip, select)
        if config.reset_pin is not None:
            self._reset_pin = self.pin_factory.pin(config.reset_pin)
            self._reset_held = False
            self.clock.subscribe(self._follow_reset_line)

    @property
    def transfers(self) -> int:
        """SPI calls on every bus of the wall."""
        return sum(bus.transfers for bus in self.buses.values())

    @property
    def bytes(self) -> int:
        return sum(bus.bytes for bus in self.buses.values())

    def _select_line(self, config: ReadersConfig, line: Line) -> tuple[int, CeLine | GpioLine | DecoderOutput]:
        """The bus a chip's data lines go to, and the line that selects it there."""
        if (device := config.kernel_device(line)) is not None:
            return device.bus, CeLine(device.device)
        if line.kind == "gpio":
            return config.spi_bus, GpioLine(self.pin_factory.pin(line.number))
        enable = config.decoder.enable_of(line.number)
        if enable not in self._decoders:
            address = [self.pin_factory.pin(pin) for pin in config.decoder.address_pins]
            bus, select = self._select_line(config, enable)
            self._decoders[enable] = (bus, Decoder(address, select))
        bus, decoder = self._decoders[enable]
        return bus, DecoderOutput(decoder, line.number % config.decoder.outputs_per_decoder)

    def _follow_reset_line(self, now: float) -> None:
        held = self._reset_pin.function == "output" and not self._reset_pin.state
        if held != self._reset_held:
            self._reset_held = held
            for chip in self.chips.values():
                chip.hold_in_reset(held)

    def spi_factory(self) -> EmulatedSpiDev:
        return EmulatedSpiDev(self.buses)

    def build_readers(self) -> dict:
        return build_readers(self.config, pin_factory=self.pin_factory, spi_factory=self.spi_factory, clock=self.clock)

    def would_fail(self) -> list[str]:
        """Everything any chip of the wall would have punished, labelled with its reader."""
        return [f"{reader_id}: {entry}" for reader_id, chip in self.chips.items() for entry in chip.would_fail]

    def settle(self, seconds: float = 10e-3) -> None:
        """Let time pass without SPI traffic: tags just placed power up."""
        self.clock.advance(seconds)
