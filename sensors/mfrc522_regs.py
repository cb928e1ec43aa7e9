"""MFRC522 registers, commands and ISO 14443-A constants: one source for driver and emulator.

Names follow the NXP MFRC522 datasheet (rev. 3.9) and ISO/IEC 14443-3 so either
document can be searched for them. Only what this project uses is listed.
"""

from collections.abc import Sequence
from enum import IntEnum

# --- SPI framing (datasheet 8.1.2.3): address byte is 1 R/W bit, 6 address bits, 0.
SPI_READ = 0x80


def spi_address(register: int, *, read: bool) -> int:
    """The address byte that opens an SPI read or write of `register`."""
    return (register << 1) & 0x7E | (SPI_READ if read else 0)


class Reg(IntEnum):
    COMMAND = 0x01
    COM_IEN = 0x02
    DIV_IEN = 0x03
    COM_IRQ = 0x04
    DIV_IRQ = 0x05
    ERROR = 0x06
    STATUS1 = 0x07
    FIFO_DATA = 0x09
    FIFO_LEVEL = 0x0A
    CONTROL = 0x0C
    BIT_FRAMING = 0x0D
    COLL = 0x0E
    MODE = 0x11
    TX_MODE = 0x12
    RX_MODE = 0x13
    TX_CONTROL = 0x14
    TX_ASK = 0x15
    CRC_RESULT_MSB = 0x21
    CRC_RESULT_LSB = 0x22
    T_MODE = 0x2A
    T_PRESCALER = 0x2B
    T_RELOAD_HI = 0x2C
    T_RELOAD_LO = 0x2D
    VERSION = 0x37


# Values after power-on or SoftReset (datasheet section 9.3), for registers that differ from 0.
RESET_VALUES = {
    Reg.MODE: 0x3F,
    Reg.TX_MODE: 0x00,
    Reg.RX_MODE: 0x00,
    Reg.TX_CONTROL: 0x80,
    Reg.FIFO_LEVEL: 0x00,
    Reg.BIT_FRAMING: 0x00,
    Reg.COLL: 0x80,
    Reg.COM_IEN: 0x80,
    Reg.COM_IRQ: 0x14,
}


class Command(IntEnum):
    """CommandReg[3:0]."""

    IDLE = 0x0
    CALC_CRC = 0x3
    TRANSMIT = 0x4
    TRANSCEIVE = 0xC
    SOFT_RESET = 0xF


COMMAND_MASK = 0x0F
COMMAND_POWER_DOWN = 0x10  # CommandReg: set while the chip is (still) powered down or resetting

# ComIrqReg bits; bit 7 (Set1) on a write says whether the marked bits are set or cleared.
IRQ_SET = 0x80
IRQ_TX = 0x40
IRQ_RX = 0x20
IRQ_IDLE = 0x10
IRQ_ERR = 0x02
IRQ_TIMER = 0x01
IRQ_ALL = 0x7F
DIV_IRQ_CRC = 0x04
DIV_IEN_PUSH_PULL = 0x80  # DivIEnReg: IRQ pin is push-pull, so no pull resistor is needed

# ErrorReg bits.
ERR_WRITE = 0x80  # WrErr: the host wrote the FIFO while the chip was receiving (or waiting to)
ERR_BUFFER_OVERFLOW = 0x10
ERR_COLLISION = 0x08
ERR_CRC = 0x04
ERR_PARITY = 0x02
ERR_PROTOCOL = 0x01

FIFO_FLUSH = 0x80
FIFO_SIZE = 64
CONTROL_RX_LAST_BITS = 0x07
CONTROL_TIMER_START_NOW = 0x40
BIT_FRAMING_START_SEND = 0x80
COLL_VALUES_AFTER_COLL = 0x80  # 0: bits received after a collision read as 0
COLL_POS_NOT_VALID = 0x20
COLL_POS_MASK = 0x1F
TX_CONTROL_ANTENNA = 0x03  # Tx1RFEn | Tx2RFEn
TX_ASK_FORCE_100 = 0x40
MODE_CRC_PRESET_6363 = 0x3D  # ModeReg: CRC preset 0x6363 as ISO 14443-3 wants, TxWaitRF
MODE_TX_WAIT_RF = 0x20  # ModeReg: the transmitter starts only once the field is on
MODE_CRC_PRESET_MASK = 0x03
CRC_PRESETS = (0x0000, 0x6363, 0xA671, 0xFFFF)  # ModeReg CRCPreset[1:0] (datasheet, ModeReg)
T_MODE_AUTO = 0x80  # TModeReg: the timer starts when a transmission ends
TX_MODE_CRC_EN = 0x80  # TxModeReg / RxModeReg: chip-side CRC, not used here (the driver does CRC_A itself)

# --- Chip timing.
CARRIER_HZ = 13.56e6


def timer_period_s(prescaler: int, reload: int) -> float:
    """Timer timeout for a 12-bit prescaler and 16-bit reload value (datasheet 8.5)."""
    return (2 * prescaler + 1) * (reload + 1) / CARRIER_HZ


# --- Chip versions (VersionReg): genuine parts and the clones sold on RC522 modules.
KNOWN_VERSIONS = {
    0x91: "MFRC522 v1.0",
    0x92: "MFRC522 v2.0",
    0x88: "FM17522 clone",
    0xB2: "FM17522 clone",
    0x89: "FM17522E clone",
    0x12: "unlabelled clone",
}
NO_CHIP_VERSIONS = (0x00, 0xFF)  # MISO held low or floating high: nothing answered


def describe_version(version: int) -> str:
    """A known chip as `wallboard doctor` shows it, for both drivers: "MFRC522 v2.0 (0x92)"."""
    return f"{KNOWN_VERSIONS[version]} (0x{version:02X})"


# --- ISO/IEC 14443-3 type A, 106 kbit/s.
BIT_TIME_S = 128 / CARRIER_HZ  # ~9.44 us
# Frame delay PCD->PICC for REQA/WUPA/ANTICOLLISION/SELECT (ISO 14443-3 frame delay time): n = 9,
# (n*128 + 84)/fc after a PCD frame ending in a 1 bit, (n*128 + 20)/fc after one ending in 0.
FRAME_DELAY_S = (9 * 128 + 84) / CARRIER_HZ
FRAME_DELAY_AFTER_0_S = (9 * 128 + 20) / CARRIER_HZ


def frame_time_s(bits: int) -> float:
    """Air time of a frame of `bits` data bits: start bit, a parity bit per full byte, end."""
    return (bits + bits // 8 + 2) * BIT_TIME_S


REQA = 0x26
WUPA = 0x52
HLTA = 0x50
SHORT_FRAME_BITS = 7
SEL_CL1 = 0x93
SEL_CL2 = 0x95
SEL_CL3 = 0x97
CASCADE_LEVELS = (SEL_CL1, SEL_CL2, SEL_CL3)
NVB_SELECT = 0x70  # all 40 bits of the cascade level follow: a SELECT, not an anticollision
CASCADE_TAG = 0x88
SAK_UID_NOT_COMPLETE = 0x04
UID_BITS_PER_LEVEL = 40  # four UID bytes (or CT + three) and the BCC


def nvb(known_bits: int) -> int:
    """Number of valid bits in an anticollision frame: whole bytes (SEL and NVB count) and extra bits."""
    return ((2 + known_bits // 8) << 4) | (known_bits % 8)


def bcc(uid_part: bytes) -> int:
    """Block check character: XOR of the four bytes of a cascade level."""
    check = 0
    for byte in uid_part:
        check ^= byte
    return check


def crc_a(data: bytes, preset: int = 0x6363) -> bytes:
    """ISO 14443-3 CRC_A (preset 0x6363, reflected 0x8408), least significant byte first.

    The chip's coprocessor uses ModeReg's preset, which need not be ISO's."""
    crc = preset
    for byte in data:
        byte ^= crc & 0xFF
        byte ^= (byte << 4) & 0xFF
        crc = (crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)
    return bytes((crc & 0xFF, crc >> 8))


def to_bits(data: bytes | Sequence[int], last_byte_bits: int = 0) -> tuple[int, ...]:
    """Bits of a frame, least significant bit of each byte first; the last byte may be partial."""
    bits = [(byte >> i) & 1 for byte in data for i in range(8)]
    if last_byte_bits and data:
        del bits[len(bits) - 8 + last_byte_bits :]
    return tuple(bits)


def to_bytes(bits: Sequence[int], offset: int = 0) -> bytes:
    """Pack bits into bytes, the first one landing on bit `offset` of the first byte; the rest is 0."""
    out = bytearray((offset + len(bits) + 7) // 8)
    for i, bit in enumerate(bits, start=offset):
        out[i // 8] |= bit << (i % 8)
    return bytes(out)
