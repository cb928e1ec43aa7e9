"""Several chip-select frames in one spidev call: one ioctl(SPI_IOC_MESSAGE(n)).

py-spidev's `xfer2` sends one frame, chip select held over all its bytes. The MFRC522
takes one register per write frame (datasheet 8.1.2.3: an address byte, then data for
that register only), so writing several registers takes several frames, and every
`xfer2` costs a Python call and a syscall: ~100 us on a Pi 4, 200-300 us on a Pi 3 or
Zero 2 W, far more than the bytes. The kernel's spidev takes a whole message of
transfers in one ioctl and releases chip select between two where the first asks for
it (`cs_change`): one call, several frames.

That separates frames only where the kernel drives chip select (a CE line, or a decoder
enabled by one). With a GPIO chip select (spidev in no_cs mode) the kernel toggles
nothing and the frames run together into one: the chip would write everything to the
first register. Callers check `kernel_toggles` of their chip select first.
"""

import ctypes
import fcntl
from collections.abc import Sequence


class SpiIocTransfer(ctypes.Structure):
    """`struct spi_ioc_transfer` of linux/spi/spidev.h (32 bytes on every architecture)."""

    _fields_ = [
        ("tx_buf", ctypes.c_uint64),
        ("rx_buf", ctypes.c_uint64),
        ("len", ctypes.c_uint32),
        ("speed_hz", ctypes.c_uint32),
        ("delay_usecs", ctypes.c_uint16),
        ("bits_per_word", ctypes.c_uint8),
        ("cs_change", ctypes.c_uint8),
        ("tx_nbits", ctypes.c_uint8),
        ("rx_nbits", ctypes.c_uint8),
        ("word_delay_usecs", ctypes.c_uint8),
        ("pad", ctypes.c_uint8),
    ]


SPI_IOC_MAGIC = ord("k")
_IOC_WRITE = 1
_IOC_SIZEBITS = 14


def message_request(count: int) -> int:
    """SPI_IOC_MESSAGE(count): _IOW('k', 0, char[count * sizeof(struct spi_ioc_transfer)])."""
    size = count * ctypes.sizeof(SpiIocTransfer)
    if size >= 1 << _IOC_SIZEBITS:
        raise ValueError(f"{count} transfers do not fit one SPI message")
    return (_IOC_WRITE << 30) | (size << 16) | (SPI_IOC_MAGIC << 8)


def transfer_frames(spi, frames: Sequence[Sequence[int]]) -> list[list[int]]:
    """Send `frames` in one call, chip select released between them; what came back, frame by frame.

    `spi` is a spidev.SpiDev (the kernel's ioctl on its file descriptor), or anything
    with an `ioctl(request, transfers)` of its own (sensors.emulated.EmulatedSpiDev).
    """
    buffers = [
        (ctypes.create_string_buffer(bytes(frame), len(frame)), ctypes.create_string_buffer(len(frame)))
        for frame in frames
    ]
    transfers = (SpiIocTransfer * len(frames))()
    for index, (frame, (tx, rx)) in enumerate(zip(frames, buffers)):
        transfer = transfers[index]
        transfer.tx_buf = ctypes.addressof(tx)
        transfer.rx_buf = ctypes.addressof(rx)
        transfer.len = len(frame)
        transfer.speed_hz = spi.max_speed_hz
        transfer.bits_per_word = 8
        transfer.cs_change = index < len(frames) - 1  # released between frames; the last ends the message as usual
    own_ioctl = getattr(spi, "ioctl", None)
    if own_ioctl is not None:
        own_ioctl(message_request(len(frames)), transfers)
    else:
        fcntl.ioctl(spi.fileno(), message_request(len(frames)), transfers)
    return [list(rx.raw) for _, rx in buffers]


def read_transfers(request: int, transfers) -> list[tuple[bytes, int, bool]]:
    """What a kernel makes of an SPI_IOC_MESSAGE: each transfer's bytes, rx address and cs_change.

    Refuses a request whose size does not match whole transfers, as the kernel does (EINVAL).
    """
    if (request >> 8) & 0xFF != SPI_IOC_MAGIC or request & 0xFF or request >> 30 != _IOC_WRITE:
        raise OSError(22, "not an SPI_IOC_MESSAGE request")
    size = (request >> 16) & ((1 << _IOC_SIZEBITS) - 1)
    if size % ctypes.sizeof(SpiIocTransfer) or size > ctypes.sizeof(transfers):
        raise OSError(22, "message size is not a whole number of transfers")
    count = size // ctypes.sizeof(SpiIocTransfer)
    structs = (SpiIocTransfer * count).from_buffer(transfers)
    return [(ctypes.string_at(t.tx_buf, t.len), t.rx_buf, bool(t.cs_change)) for t in structs]
