"""The emulated MFRC522 behaves like the datasheet and ISO 14443-3 say, byte for byte.

These talk raw SPI to the chip, without the driver, so a driver bug cannot hide an
emulator bug.
"""

import pytest

from sensors import mfrc522_regs as r
from sensors.emulated import (
    CeLine,
    EmulatedClock,
    EmulatedMfrc522,
    EmulatedSpiBus,
    EmulatedSpiDev,
    EmulatedTag,
    Fault,
    TagState,
    to_bits,
)
from sensors.mfrc522_regs import Reg

SPEED_HZ = 4_000_000
OVERHEAD_S = 50e-6
NTAG = "04A1B2C3D4E5F6"
CLASSIC = "DEADBEEF"


class Wire:
    """Raw register access over the emulated SPI bus."""

    def __init__(self, chip_version: int = 0x92):
        self.clock = EmulatedClock()
        self.bus = EmulatedSpiBus(self.clock, call_overhead_s=OVERHEAD_S)
        self.chip = self.bus.attach(EmulatedMfrc522(self.clock, version=chip_version), CeLine(0))
        self.spi = EmulatedSpiDev({0: self.bus})
        self.spi.open(0, 0)
        self.spi.max_speed_hz = SPEED_HZ
        self.clock.advance(1e-3)  # the oscillator starts after power-on

    def read(self, *registers: int) -> list[int]:
        mosi = [r.spi_address(register, read=True) for register in registers] + [0]
        return self.spi.xfer2(mosi)[1:]

    def write(self, register: int, *values: int) -> None:
        self.spi.xfer2([r.spi_address(register, read=False), *values])

    def program_timer(self, prescaler: int = 169, reload: int = 39) -> float:
        self.write(Reg.T_MODE, r.T_MODE_AUTO | prescaler >> 8)
        self.write(Reg.T_PRESCALER, prescaler & 0xFF)
        self.write(Reg.T_RELOAD_HI, reload >> 8)
        self.write(Reg.T_RELOAD_LO, reload & 0xFF)
        return r.timer_period_s(prescaler, reload)

    def antenna_on(self) -> None:
        self.write(Reg.TX_CONTROL, 0x80 | r.TX_CONTROL_ANTENNA)
        self.clock.advance(5e-3)  # tags power up

    def send(self, frame: bytes, *, last_bits: int = 0, rx_align: int = 0) -> None:
        self.write(Reg.COMMAND, r.Command.TRANSCEIVE)
        self.write(Reg.COM_IRQ, r.IRQ_ALL)
        self.write(Reg.FIFO_DATA, *frame)
        self.write(Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | rx_align << 4 | last_bits)

    def answer(self) -> bytes:
        level = self.read(Reg.FIFO_LEVEL)[0]
        return bytes(self.read(*[Reg.FIFO_DATA] * level)) if level else b""


@pytest.fixture
def wire() -> Wire:
    wire = Wire()
    wire.program_timer()
    wire.write(Reg.COLL, 0x00)
    return wire


def test_each_transfer_costs_its_bytes_at_the_spi_speed_plus_the_call_overhead(wire):
    before = wire.clock.now()
    wire.read(Reg.VERSION)  # two bytes
    assert wire.clock.now() - before == pytest.approx(OVERHEAD_S + 2 * 8 / SPEED_HZ)
    assert wire.bus.transfers == 5 + 1  # the timer and CollReg writes, then this read


def test_one_read_transfer_returns_several_registers(wire):
    assert wire.read(Reg.VERSION, Reg.TX_CONTROL, Reg.VERSION) == [0x92, 0x80, 0x92]


def test_an_empty_field_raises_the_timer_interrupt_after_the_programmed_period_and_no_sooner(wire):
    period = wire.program_timer()
    wire.antenna_on()
    wire.send(bytes([r.REQA]), last_bits=7)
    sent = wire.clock.now()
    tx_end = sent + r.frame_time_s(7)
    wire.clock.advance(tx_end + period - sent - 20e-6 - OVERHEAD_S)
    assert not wire.read(Reg.COM_IRQ)[0] & r.IRQ_TIMER
    wire.clock.advance(40e-6)
    irq = wire.read(Reg.COM_IRQ)[0]
    assert irq & r.IRQ_TIMER and not irq & r.IRQ_RX


def test_a_tag_answers_reqa_with_its_atqa_only_after_the_rf_frame_times(wire):
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.REQA]), last_bits=7)
    assert not wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX  # still on air
    wire.clock.advance(r.frame_time_s(7) + r.FRAME_DELAY_S + r.frame_time_s(16))
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    assert wire.answer() == bytes([0x44, 0x00])  # double-size UID, bit-frame anticollision


def test_a_tag_that_answered_keeps_the_timer_from_running_out(wire):
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.REQA]), last_bits=7)
    wire.clock.advance(5e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_TIMER) == r.IRQ_RX


def test_a_tag_needs_its_power_up_time_before_it_answers(wire):
    wire.chip.place(EmulatedTag(NTAG, power_up_s=2e-3))
    wire.write(Reg.TX_CONTROL, 0x80 | r.TX_CONTROL_ANTENNA)
    wire.send(bytes([r.REQA]), last_bits=7)
    wire.clock.advance(2e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_TIMER) == r.IRQ_TIMER


def test_writing_com_irq_sets_or_clears_only_the_marked_bits(wire):
    wire.write(Reg.COM_IRQ, r.IRQ_ALL)
    wire.write(Reg.COM_IRQ, r.IRQ_SET | r.IRQ_RX | r.IRQ_TIMER)
    assert wire.read(Reg.COM_IRQ)[0] == r.IRQ_RX | r.IRQ_TIMER
    wire.write(Reg.COM_IRQ, r.IRQ_TIMER)
    assert wire.read(Reg.COM_IRQ)[0] == r.IRQ_RX


def test_calc_crc_leaves_the_crc_a_of_the_fifo_in_the_result_registers(wire):
    wire.write(Reg.FIFO_DATA, r.HLTA, 0x00)
    wire.write(Reg.COMMAND, r.Command.CALC_CRC)
    assert wire.read(Reg.DIV_IRQ)[0] & r.DIV_IRQ_CRC
    assert bytes(wire.read(Reg.CRC_RESULT_LSB, Reg.CRC_RESULT_MSB)) == bytes([0x57, 0xCD])


def test_soft_reset_restores_reset_values_and_reports_power_down_until_the_oscillator_runs(wire):
    wire.write(Reg.TX_CONTROL, 0x83)
    wire.write(Reg.COMMAND, r.Command.SOFT_RESET)
    assert wire.read(Reg.COMMAND)[0] & r.COMMAND_POWER_DOWN
    wire.clock.advance(EmulatedMfrc522.RESET_TIME_S)
    assert wire.read(Reg.COMMAND, Reg.TX_CONTROL, Reg.T_RELOAD_LO) == [0x00, 0x80, 0x00]


def test_tags_answering_together_collide_at_the_first_bit_where_their_uids_differ(wire):
    # 0x21 and 0x23 differ in bit 1 of the first UID byte.
    wire.chip.place("21000000", "23000000")
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(1e-3)
    wire.answer()
    wire.send(bytes([r.SEL_CL1, r.nvb(0)]))
    wire.clock.advance(2e-3)
    assert wire.read(Reg.ERROR)[0] & r.ERR_COLLISION
    assert wire.read(Reg.COLL)[0] & r.COLL_POS_MASK == 2  # CollPos counts from 1
    assert wire.answer()[0] == 0b0000_0011  # bits after the collision read as 0


def test_anticollision_with_known_bits_silences_the_tags_that_do_not_match(wire):
    wire.chip.place("21000000", "23000000")
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(1e-3)
    wire.answer()
    # Two bits known (1, then 1 at the collision): only 0x23... matches.
    wire.send(bytes([r.SEL_CL1, r.nvb(2), 0b11]), last_bits=2, rx_align=2)
    wire.clock.advance(2e-3)
    assert not wire.read(Reg.ERROR)[0] & r.ERR_COLLISION
    answer = wire.answer()
    assert answer[0] & 0xFC == 0x23 & 0xFC and answer[1:] == bytes([0, 0, 0, 0x23])  # rest of UID and BCC


@pytest.mark.parametrize(
    ("uid", "levels"),
    [
        ("DEADBEEF", ["DEADBEEF"]),
        ("04A1B2C3D4E5F6", ["8804A1B2", "C3D4E5F6"]),
        ("0102030405060708090A", ["88010203", "88040506", "0708090A"]),
    ],
)
def test_a_tag_splits_its_uid_into_cascade_levels_with_a_bcc_each(uid, levels):
    tag = EmulatedTag(uid)
    assert [level[:4].hex().upper() for level in tag.levels] == levels
    assert all(level[4] == r.bcc(level[:4]) for level in tag.levels)


def test_a_tag_left_ready_ignores_the_next_reqa_and_drops_to_idle():
    # Why a reader that never halts its tag sees a resting card only every other poll.
    tag = EmulatedTag(NTAG)
    tag.power_on(0.0)
    reqa = to_bits([r.REQA], 7)
    assert tag.receive(reqa) is not None
    assert tag.receive(reqa) is None
    assert tag.state is TagState.IDLE
    assert tag.receive(reqa) is not None


def test_a_halted_tag_wakes_only_for_wupa():
    tag = EmulatedTag(CLASSIC)
    tag.power_on(0.0)
    tag.receive(to_bits([r.REQA], 7))
    select = bytes([r.SEL_CL1, r.NVB_SELECT]) + tag.levels[0]
    assert tag.receive(to_bits(select + r.crc_a(select))) is not None
    tag.receive(to_bits(bytes([r.HLTA, 0]) + r.crc_a(bytes([r.HLTA, 0]))))
    assert tag.state is TagState.HALT
    assert tag.receive(to_bits([r.REQA], 7)) is None
    assert tag.receive(to_bits([r.WUPA], 7)) is not None


def test_a_tag_keeps_its_state_through_a_short_field_gap_but_not_a_long_one():
    tag = EmulatedTag(NTAG, keeps_state_s=0.5e-3)
    tag.power_on(0.0)
    tag.receive(to_bits([r.REQA], 7))
    tag.power_off(1.0)
    tag.power_on(1.0002)
    assert tag.state is TagState.READY
    tag.power_off(2.0)
    tag.power_on(2.001)
    assert tag.state is TagState.IDLE


def test_an_unplugged_chip_reads_as_zeros_and_comes_back_reset(wire):
    wire.write(Reg.TX_CONTROL, 0x83)
    wire.chip.unplug()
    assert wire.read(Reg.VERSION, Reg.TX_CONTROL) == [0, 0]
    wire.chip.plug_in()
    wire.clock.advance(EmulatedMfrc522.RESET_TIME_S)
    assert wire.read(Reg.VERSION, Reg.TX_CONTROL) == [0x92, 0x80]


def test_a_garbage_chip_returns_noise_and_loses_writes(wire):
    wire.chip.fail(Fault.GARBAGE)
    assert {wire.read(Reg.VERSION)[0] for _ in range(20)} != {0x92}
    wire.write(Reg.T_RELOAD_LO, 0x55)
    wire.chip.fail(Fault.NONE)
    assert wire.read(Reg.T_RELOAD_LO) == [39]


def test_a_chip_losing_tags_misses_them_on_about_that_share_of_requests(wire):
    wire.chip.place(CLASSIC)
    wire.chip.lose_tags(0.3)
    wire.antenna_on()
    answered = 0
    for _ in range(1000):
        wire.send(bytes([r.WUPA]), last_bits=7)
        wire.clock.advance(2e-3)
        answered += bool(wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX)
        wire.answer()
        wire.send(bytes([r.HLTA, 0]) + r.crc_a(bytes([r.HLTA, 0])))  # READY -> IDLE for the next WUPA
        wire.clock.advance(2e-3)
    assert 650 < answered < 750


def test_chip_side_crc_is_refused_rather_than_silently_ignored(wire):
    with pytest.raises(NotImplementedError):
        wire.write(Reg.TX_MODE, r.TX_MODE_CRC_EN)
