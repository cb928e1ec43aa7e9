"""The emulated MFRC522 behaves like the datasheet and ISO 14443-3 say, byte for byte.

These talk raw SPI to the chip, without the driver, so a driver bug cannot hide an
emulator bug.
"""

from dataclasses import replace

import pytest
from gpiozero.pins.mock import MockFactory

from sensors import mfrc522_regs as r
from sensors.emulated import (
    VARIANTS,
    WORST,
    CeLine,
    CollPos,
    EmulatedClock,
    EmulatedMfrc522,
    EmulatedSpiBus,
    EmulatedSpiDev,
    EmulatedTag,
    Fault,
    GpioLine,
    TagState,
    to_bits,
)
from sensors.mfrc522_regs import Reg
from sensors.spi_message import SpiIocTransfer, message_request, transfer_frames

SPEED_HZ = 4_000_000
OVERHEAD_S = 50e-6
NTAG = "04A1B2C3D4E5F6"
CLASSIC = "DEADBEEF"


class Wire:
    """Raw register access over the emulated SPI bus."""

    def __init__(
        self, chip_version: int = 0x92, *, bus: EmulatedSpiBus | None = None, device: int = 0, behaviour=WORST
    ):
        self.bus = bus or EmulatedSpiBus(EmulatedClock(), call_overhead_s=OVERHEAD_S)
        self.clock = self.bus.clock
        chip = EmulatedMfrc522(self.clock, version=chip_version, behaviour=behaviour)
        self.chip = self.bus.attach(chip, CeLine(device))
        self.spi = EmulatedSpiDev({0: self.bus})
        self.spi.open(0, device)
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

    def wake(self, *uids: str) -> None:
        """Put tags in a powered field and send WUPA: they are READY for anticollision."""
        self.chip.place(*uids)
        self.antenna_on()
        self.send(bytes([r.WUPA]), last_bits=7)
        self.clock.advance(1e-3)
        self.answer()

    def answer(self) -> bytes:
        level = self.read(Reg.FIFO_LEVEL)[0]
        return bytes(self.read(*[Reg.FIFO_DATA] * level)) if level else b""

    def set_up(self) -> "Wire":
        """As ISO 14443-A needs: 100 % ASK, CRC preset 0x6363, bits after a collision read 0."""
        self.program_timer()
        self.write(Reg.TX_ASK, r.TX_ASK_FORCE_100)
        self.write(Reg.MODE, r.MODE_CRC_PRESET_6363)
        self.write(Reg.COLL, 0x00)
        return self


@pytest.fixture
def wire() -> Wire:
    return Wire().set_up()


def fast_wire() -> Wire:
    """SPI calls of 5 us, quicker than the chip's 37.74 us after a reset."""
    return Wire(bus=EmulatedSpiBus(EmulatedClock(), call_overhead_s=5e-6)).set_up()


def test_each_transfer_costs_its_bytes_at_the_spi_speed_plus_the_call_overhead(wire):
    before = wire.clock.now()
    wire.read(Reg.VERSION)  # two bytes
    assert wire.clock.now() - before == pytest.approx(OVERHEAD_S + 2 * 8 / SPEED_HZ)
    assert wire.bus.transfers == 7 + 1  # the set-up writes, then this read


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


def test_an_answer_enters_the_fifo_byte_by_byte_before_the_receive_interrupt(wire):
    wire.wake(NTAG)
    wire.send(bytes([r.SEL_CL1, r.nvb(0)]))  # the answer is cascade level 1: five bytes
    answer_start = wire.clock.now() + r.frame_time_s(16) + r.FRAME_DELAY_S
    wire.clock.advance(answer_start + r.frame_time_s(16) - wire.clock.now())
    irq, level = wire.read(Reg.COM_IRQ, Reg.FIFO_LEVEL)
    assert level == 2 and not irq & r.IRQ_RX
    wire.clock.advance(r.frame_time_s(40) - r.frame_time_s(16))
    irq, level = wire.read(Reg.COM_IRQ, Reg.FIFO_LEVEL)
    assert level == 5 and irq & r.IRQ_RX


def test_a_tag_that_answered_keeps_the_timer_from_running_out(wire):
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.REQA]), last_bits=7)
    wire.clock.advance(5e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_TIMER) == r.IRQ_RX


def test_the_timer_also_starts_when_a_transmit_only_frame_ends(wire):
    # TModeReg TAuto: "the timer starts automatically at the end of the transmission in all
    # communication modes", so an HLTA sent with Transmit leaves a timer running behind it.
    period = wire.program_timer()
    wire.antenna_on()
    wire.write(Reg.COM_IRQ, r.IRQ_ALL)
    wire.write(Reg.FIFO_DATA, r.HLTA, 0x00, *r.crc_a(bytes([r.HLTA, 0x00])))
    wire.write(Reg.COMMAND, r.Command.TRANSMIT)
    wire.clock.advance(r.frame_time_s(32) + period - 20e-6 - OVERHEAD_S)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_IDLE | r.IRQ_TIMER) == r.IRQ_IDLE
    wire.clock.advance(40e-6)
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_TIMER


def test_a_timer_restarted_by_the_next_frame_never_runs_out_at_its_old_time(wire):
    wire.wake(NTAG)
    wire.send(bytes([r.REQA]), last_bits=7)  # unexpected in READY: the tag drops to IDLE, silent
    wire.clock.advance(r.frame_time_s(7) + 0.3e-3)  # its timer has 0.7 ms to go
    # Transceive started afresh (the receiver still waited for data), as the driver does.
    wire.write(Reg.COMMAND, r.Command.IDLE, r.Command.TRANSCEIVE)
    wire.write(Reg.COM_IRQ, r.IRQ_ALL)
    wire.write(Reg.FIFO_DATA, r.WUPA)
    wire.write(Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | 7)  # restarts the timer; the answer stops it
    wire.clock.advance(5e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_TIMER) == r.IRQ_RX
    assert wire.chip.would_fail == []


def test_chips_on_one_bus_run_their_radio_exchanges_at_the_same_time():
    first = Wire()
    second = Wire(bus=first.bus, device=1)
    for wire, uid in ((first, NTAG), (second, CLASSIC)):
        wire.set_up()
        wire.chip.place(uid)
        wire.antenna_on()
    on_air = r.frame_time_s(7) + r.FRAME_DELAY_S + r.frame_time_s(16)
    first.send(bytes([r.REQA]), last_bits=7)
    first_sent = first.clock.now()
    second.send(bytes([r.REQA]), last_bits=7)  # the bus is free while the first frame is on air
    second_sent = second.clock.now()
    assert second_sent - first_sent < on_air
    first.clock.advance(first_sent + on_air - first.clock.now())
    assert first.read(Reg.COM_IRQ)[0] & r.IRQ_RX and not second.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    second.clock.advance(second_sent + on_air - second.clock.now())
    assert second.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    assert (first.answer(), second.answer()) == (bytes([0x44, 0x00]), bytes([0x04, 0x00]))


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


def test_soft_reset_restores_reset_values_and_reports_power_down_until_the_oscillator_runs():
    wire = fast_wire()
    wire.write(Reg.TX_CONTROL, 0x83)
    wire.write(Reg.COMMAND, r.Command.SOFT_RESET)
    assert wire.read(Reg.COMMAND)[0] & r.COMMAND_POWER_DOWN
    wire.clock.advance(WORST.reset_time_s)
    assert wire.read(Reg.COMMAND, Reg.TX_CONTROL, Reg.T_RELOAD_LO) == [0x00, 0x80, 0x00]


def test_tags_answering_together_collide_at_the_first_bit_where_their_uids_differ(wire):
    # 0x21 and 0x23 differ in bit 1 of the first UID byte.
    wire.wake("21000000", "23000000")
    wire.send(bytes([r.SEL_CL1, r.nvb(0)]))
    wire.clock.advance(2e-3)
    assert wire.read(Reg.ERROR)[0] & r.ERR_COLLISION
    assert wire.read(Reg.COLL)[0] & r.COLL_POS_MASK == 2  # CollPos counts from 1
    assert wire.answer()[0] == 0b0000_0011  # bits after the collision read as 0


def test_anticollision_with_known_bits_silences_the_tags_that_do_not_match(wire):
    wire.wake("21000000", "23000000")
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


def test_an_unplugged_chip_reads_as_zeros_and_comes_back_reset(wire):
    wire.write(Reg.TX_CONTROL, 0x83)
    wire.chip.unplug()
    assert wire.read(Reg.VERSION, Reg.TX_CONTROL) == [0, 0]
    wire.chip.plug_in()
    wire.clock.advance(WORST.reset_time_s)
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


# --- the worst the datasheet and ISO 14443-3 allow, by default


def test_a_tag_may_take_all_of_isos_5_ms_to_power_up(wire):
    wire.chip.place(NTAG)
    wire.write(Reg.TX_CONTROL, 0x80 | r.TX_CONTROL_ANTENNA)
    wire.clock.advance(4.5e-3)
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(1e-3)
    assert not wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    wire.write(Reg.COMMAND, r.Command.IDLE, r.Command.TRANSCEIVE)
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(1e-3)
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX


def test_a_tag_keeps_its_state_through_any_field_gap_shorter_than_isos_reset_time():
    tag = EmulatedTag(NTAG)
    tag.power_on(0.0)
    tag.receive(to_bits([r.WUPA], 7))
    tag.power_off(1.0)
    tag.power_on(1.0049)
    assert tag.state is TagState.READY
    tag.power_off(2.0)
    tag.power_on(2.0051)
    assert tag.state is TagState.IDLE


@pytest.mark.parametrize(("request_code", "delay_fc"), [(r.REQA, 1172), (r.WUPA, 1236)])
def test_the_answer_starts_1172_or_1236_carrier_cycles_after_a_frame_ending_in_0_or_1(request_code, delay_fc):
    def received_at(offset_s: float) -> bool:
        """Whether RxIRq is set `offset_s` after the answer's end bit, by ISO's frame delay."""
        wire = Wire(behaviour=replace(WORST, receive_lag_max_s=0)).set_up()
        wire.chip.place(NTAG)
        wire.antenna_on()
        wire.send(bytes([request_code]), last_bits=7)
        answer_end = wire.clock.now() + r.frame_time_s(7) + delay_fc / r.CARRIER_HZ + r.frame_time_s(16)
        wire.clock.advance(answer_end + offset_s - wire.clock.now() - OVERHEAD_S - 16 / SPEED_HZ)
        return bool(wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX)

    assert (received_at(-2e-6), received_at(2e-6)) == (False, True)


def test_a_card_lifted_while_it_answers_cuts_its_answer_short(wire):
    wire.wake(NTAG)
    wire.send(bytes([r.SEL_CL1, r.nvb(0)]))
    wire.clock.advance(r.frame_time_s(16) + r.FRAME_DELAY_S + r.frame_time_s(16) + 30e-6)
    wire.chip.clear_field()
    wire.clock.advance(2e-3)
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    assert len(wire.answer()) == 2  # two of its five bytes were on air


def test_a_frame_broken_on_its_way_to_the_tag_sends_a_ready_tag_back_to_idle():
    wire = Wire(behaviour=WORST.corrupted(1.0)).set_up()
    wire.wake(NTAG)
    tag = wire.chip.tags[0]
    assert tag.state is TagState.IDLE


@pytest.mark.parametrize("seed", range(6))
def test_an_answer_broken_on_its_way_back_is_flagged_or_fails_its_check(seed):
    wire = Wire(behaviour=replace(WORST, picc_frame_error_rate=1.0)).set_up()
    wire.chip.rng.seed(seed)
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(1e-3)
    wire.answer()
    wire.send(bytes([r.SEL_CL1, r.nvb(0)]))
    wire.clock.advance(1e-3)
    error = wire.read(Reg.ERROR)[0] & (r.ERR_PARITY | r.ERR_PROTOCOL)
    level = wire.answer()
    assert error or r.bcc(level[:4]) != level[4]


def test_noise_is_received_as_a_broken_frame_where_no_tag_answers():
    wire = Wire(behaviour=replace(WORST, noise_frame_rate=1.0)).set_up()
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(2e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_ERR) == r.IRQ_RX | r.IRQ_ERR
    assert wire.read(Reg.ERROR)[0] & r.ERR_PARITY


def test_calc_crc_leaves_crcirq_as_it_was_and_a_start_with_it_set_is_logged(wire):
    wire.write(Reg.FIFO_DATA, r.HLTA, 0x00)
    wire.write(Reg.COMMAND, r.Command.CALC_CRC)
    wire.write(Reg.COMMAND, r.Command.IDLE)
    assert wire.read(Reg.DIV_IRQ)[0] & r.DIV_IRQ_CRC
    assert wire.chip.would_fail == []
    wire.write(Reg.FIFO_DATA, r.HLTA, 0x00)
    wire.write(Reg.COMMAND, r.Command.CALC_CRC)
    assert wire.read(Reg.DIV_IRQ)[0] & r.DIV_IRQ_CRC  # still set: nothing cleared it
    assert "CRCIRq still set" in wire.chip.would_fail[0]


def test_calc_crc_starts_from_modereg_s_preset():
    wire = Wire()  # ModeReg at its reset value 0x3F: preset 0xFFFF, not ISO's 0x6363
    wire.write(Reg.FIFO_DATA, r.HLTA, 0x00)
    wire.write(Reg.COMMAND, r.Command.CALC_CRC)
    result = bytes(wire.read(Reg.CRC_RESULT_LSB, Reg.CRC_RESULT_MSB))
    assert result == r.crc_a(bytes([r.HLTA, 0]), 0xFFFF) != r.crc_a(bytes([r.HLTA, 0]))


def test_the_timer_runs_on_whatever_command_is_written(wire):
    period = wire.program_timer()
    wire.write(Reg.CONTROL, r.CONTROL_TIMER_START_NOW)
    wire.write(Reg.COMMAND, r.Command.IDLE)
    wire.write(Reg.COMMAND, r.Command.TRANSCEIVE)
    wire.clock.advance(period)
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_TIMER


def test_with_txwaitrf_a_frame_waits_for_the_field_and_without_it_goes_nowhere(wire):
    wire.chip.place(EmulatedTag(NTAG, power_up_s=0))
    wire.send(bytes([r.WUPA]), last_bits=7)  # field off, TxWaitRF set
    wire.clock.advance(1e-3)
    assert not wire.read(Reg.COM_IRQ)[0] & r.IRQ_TX
    wire.write(Reg.TX_CONTROL, 0x80 | r.TX_CONTROL_ANTENNA)
    wire.clock.advance(1e-3)
    assert wire.read(Reg.COM_IRQ)[0] & r.IRQ_RX
    assert wire.chip.would_fail == []
    wire.write(Reg.TX_CONTROL, 0x80)
    wire.write(Reg.MODE, r.MODE_CRC_PRESET_6363 & ~r.MODE_TX_WAIT_RF)
    wire.send(bytes([r.WUPA]), last_bits=7)
    assert "field off" in wire.chip.would_fail[0]


def test_tags_do_not_hear_a_frame_sent_without_force100ask():
    wire = Wire().set_up()
    wire.write(Reg.TX_ASK, 0x00)
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)
    wire.clock.advance(2e-3)
    assert wire.read(Reg.COM_IRQ)[0] & (r.IRQ_RX | r.IRQ_TIMER) == r.IRQ_TIMER
    assert "Force100ASK" in wire.chip.would_fail[0]


def test_writing_the_fifo_while_the_receiver_waits_sets_wrerr(wire):
    wire.antenna_on()
    wire.send(bytes([r.WUPA]), last_bits=7)  # nobody answers: the receiver waits on
    wire.clock.advance(2e-3)
    wire.write(Reg.FIFO_DATA, r.WUPA)
    assert wire.read(Reg.ERROR)[0] & r.ERR_WRITE
    assert "WrErr" in wire.chip.would_fail[0]


@pytest.mark.parametrize("sends", [False, True])
def test_startsend_while_the_receiver_waits_for_data_is_a_switchable_reading(sends):
    wire = Wire(behaviour=replace(WORST, start_send_while_waiting_for_data=sends)).set_up()
    wire.chip.place(NTAG)
    wire.antenna_on()
    wire.send(bytes([r.HLTA, 0]) + r.crc_a(bytes([r.HLTA, 0])))  # nobody answers HLTA
    wire.clock.advance(2e-3)
    wire.write(Reg.COM_IRQ, r.IRQ_ALL)
    wire.write(Reg.FIFO_LEVEL, r.FIFO_FLUSH)
    wire.write(Reg.FIFO_DATA, r.WUPA)
    wire.chip.would_fail.clear()  # the FIFO write (WrErr) is not what this test is about
    wire.write(Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | 7)
    wire.clock.advance(2e-3)
    assert bool(wire.read(Reg.COM_IRQ)[0] & r.IRQ_TX) is sends
    assert bool(wire.chip.would_fail) is not sends


def test_reads_past_the_fifo_level_return_noise_and_are_counted(wire):
    assert {wire.read(Reg.FIFO_DATA)[0] for _ in range(20)} != {0}
    assert wire.chip.reads_past_fifo_level == 20


@pytest.mark.parametrize(("coll_pos", "expected"), [(CollPos.FROM_FIFO_BIT_0, 3), (CollPos.FROM_FIRST_RECEIVED_BIT, 1)])
def test_collpos_counts_the_rxalign_bits_or_not_as_the_variant_says(coll_pos, expected):
    wire = Wire(behaviour=replace(WORST, coll_pos=coll_pos)).set_up()
    wire.wake("23000000", "27000000")  # 0b00100011 and 0b00100111: bits 0-1 shared, bit 2 differs
    wire.send(bytes([r.SEL_CL1, r.nvb(2), 0b11]), last_bits=2, rx_align=2)  # the first received bit collides
    wire.clock.advance(2e-3)
    assert wire.read(Reg.ERROR)[0] & r.ERR_COLLISION
    assert wire.read(Reg.COLL)[0] & r.COLL_POS_MASK == expected


def test_every_open_reading_has_a_variant():
    assert len(VARIANTS) == len(CollPos) * 2


def test_writes_before_the_oscillator_runs_again_are_lost_and_logged():
    wire = fast_wire()
    wire.write(Reg.COMMAND, r.Command.SOFT_RESET)
    wire.write(Reg.T_RELOAD_LO, 0x55)
    wire.clock.advance(WORST.reset_time_s)
    assert wire.read(Reg.T_RELOAD_LO) == [0]
    assert "PowerDown" in wire.chip.would_fail[0]


# --- several chip-select frames in one SPI call (SPI_IOC_MESSAGE, sensors.spi_message)


def message(wire: Wire, *frames: list[int]) -> list[list[int]]:
    return transfer_frames(wire.spi, [list(frame) for frame in frames])


def write_frame(register: int, *values: int) -> list[int]:
    return [r.spi_address(register, read=False), *values]


def read_frame(*registers: int) -> list[int]:
    return [r.spi_address(register, read=True) for register in registers] + [0]


def test_a_message_of_frames_is_one_call_whose_frames_the_chip_hears_as_separate_transfers(wire):
    wire.chip.place(CLASSIC)
    wire.antenna_on()
    wire.write(Reg.COMMAND, r.Command.TRANSCEIVE)
    calls, before = wire.bus.transfers, wire.clock.now()
    message(  # clear the IRQs, flush the FIFO, fill it, StartSend: four registers, one call
        wire,
        write_frame(Reg.COM_IRQ, r.IRQ_ALL),
        write_frame(Reg.FIFO_LEVEL, r.FIFO_FLUSH),
        write_frame(Reg.FIFO_DATA, r.WUPA),
        write_frame(Reg.BIT_FRAMING, r.BIT_FRAMING_START_SEND | 7),
    )
    assert wire.bus.transfers - calls == 1
    assert wire.clock.now() - before == pytest.approx(OVERHEAD_S + (2 + 2 + 2 + 2) * 8 / SPEED_HZ)
    wire.clock.advance(1e-3)
    assert wire.answer() == EmulatedTag(CLASSIC).atqa


def test_reads_in_a_message_come_back_frame_by_frame_after_the_writes_before_them(wire):
    answers = message(wire, write_frame(Reg.T_RELOAD_LO, 0x42), read_frame(Reg.T_RELOAD_LO, Reg.VERSION))
    assert answers == [[0, 0], [0, 0x42, 0x92]]


def test_a_message_whose_size_is_not_whole_transfers_is_refused_like_the_kernel_does(wire):
    transfers = (SpiIocTransfer * 2)()
    with pytest.raises(OSError, match="whole number of transfers"):
        wire.spi.ioctl(message_request(2) - (1 << 16), transfers)  # 63 bytes
    with pytest.raises(OSError, match="not an SPI_IOC_MESSAGE"):
        wire.spi.ioctl(0x6B01, transfers)


def test_register_writes_run_together_in_one_chip_select_frame_all_go_to_the_first_register(wire):
    # The datasheet's write format (8.1.2.3) is an address, then data for that register only:
    # "clear ComIrq, then fill the FIFO" in one frame leaves the FIFO empty.
    wire.spi.xfer2([*write_frame(Reg.COM_IRQ, r.IRQ_ALL), *write_frame(Reg.FIFO_DATA, r.WUPA)])
    assert wire.read(Reg.FIFO_LEVEL) == [0]
    wire.spi.xfer2([*write_frame(Reg.T_RELOAD_LO, 0x42), *write_frame(Reg.T_RELOAD_HI, 0x01)])
    assert wire.read(Reg.T_RELOAD_HI, Reg.T_RELOAD_LO) == [0x00, 0x01]  # HI untouched, LO got the last byte


def test_a_message_on_a_gpio_chip_select_is_one_frame_for_the_chip_so_its_writes_run_together():
    # spidev in no_cs mode drives no chip select; ours stays low around the whole call.
    bus = EmulatedSpiBus(EmulatedClock(), call_overhead_s=OVERHEAD_S)
    select = MockFactory().pin(17)
    select.output_with_state(False)
    chip = bus.attach(EmulatedMfrc522(bus.clock), GpioLine(select))
    spi = EmulatedSpiDev({0: bus})
    spi.open(0, 0)
    spi.no_cs = True
    bus.clock.advance(1e-3)
    transfer_frames(spi, [write_frame(Reg.T_RELOAD_LO, 0x42), write_frame(Reg.T_RELOAD_HI, 0x01)])
    assert bus.frames == 1
    assert chip.transfer(read_frame(Reg.T_RELOAD_HI, Reg.T_RELOAD_LO))[1:] == [
        0x00,
        0x01,
    ]  # HI untouched, LO got the last byte


def test_a_read_frame_that_goes_on_with_a_write_address_is_what_a_real_chip_would_punish(wire):
    wire.spi.xfer2([r.spi_address(Reg.VERSION, read=True), r.spi_address(Reg.T_RELOAD_LO, read=False), 0x42, 0])
    assert any("not a read address" in entry for entry in wire.chip.would_fail)
    assert wire.read(Reg.T_RELOAD_LO) != [0x42]  # a read frame writes nothing


def test_an_address_byte_with_bit_0_set_is_what_a_real_chip_would_punish(wire):
    wire.spi.xfer2([r.spi_address(Reg.VERSION, read=True) | 0x01, 0])
    assert any("bit 0 set" in entry for entry in wire.chip.would_fail)


def test_more_than_64_bytes_written_to_the_fifo_in_one_frame_overflow_it(wire):
    message(wire, write_frame(Reg.FIFO_LEVEL, r.FIFO_FLUSH), write_frame(Reg.FIFO_DATA, *range(65)))
    assert wire.read(Reg.FIFO_LEVEL, Reg.ERROR) == [64, r.ERR_BUFFER_OVERFLOW]
    message(wire, write_frame(Reg.FIFO_LEVEL, r.FIFO_FLUSH))
    assert wire.read(Reg.FIFO_LEVEL, Reg.ERROR) == [0, 0]
