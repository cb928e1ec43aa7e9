"""The `mfrc522` package (0.0.7) as a Reader, for readers.kind = "mfrc522".

For a wall of one or two readers on CE0/CE1 wired as in the common tutorials, where
the package's familiar code is worth its cost (see docs/readers.md for the numbers).
We use its protocol methods but own what it would otherwise grab:
- the SPI handle: its __init__ opens spidev itself; we hand it ours;
- GPIO: its __init__ calls GPIO.setmode (BOARD by default, clashing with gpiozero's
  BCM) and drives a reset pin; we never call RPi.GPIO and reset through gpiozero;
- Close_MFRC522: it calls a global GPIO.cleanup() that resets every pin in the
  process; we close only our SPI handle.
Gaps of the package are closed here with its own primitives: UIDs are read through
cascade level 2 (its read_id stops at level 1, so 7-byte UIDs collide), the field is
switched off between polls for ISO's reset time (else a card left on the reader
answers only every other REQA), the version register is checked each poll (it reports
a dead reader as an empty one), its reset waits for the chip, and CRCIRq is cleared
before a CRC (see InjectedMFRC522).
"""

import functools
import logging

from board.core.closeable import Closeable
from board.core.errors import ConfigError, ReaderFault
from sensors import mfrc522_regs as r
from sensors.chipselect import ResetLine
from sensors.rc522 import FIELD_RESET_S, TAG_POWER_UP_S
from sensors.sweep import ReaderClock, SystemReaderClock

_RESET_READS = 100  # CommandReg reads while waiting out a SoftReset: at least 2 ms at any SPI speed


@functools.cache
def package_chip_class():
    try:
        from mfrc522 import MFRC522
    except RuntimeError as error:  # RPi.GPIO refuses to import anywhere but on a Pi
        raise ConfigError(f'readers.kind = "mfrc522" runs only on a Raspberry Pi ({error}); use "rc522"') from error

    class InjectedMFRC522(MFRC522):
        """The package's chip logic on a SPI handle we opened; no RPi.GPIO calls."""

        def __init__(self, spi):
            self.spi = spi
            self.logger = logging.getLogger("mfrc522Logger")  # its own __init__ adds a handler per instance
            self.MFRC522_Init()

        def MFRC522_Reset(self):
            """The package writes on at once; the chip loses writes until PowerDown clears (datasheet 8.8.2),
            after power-on as after the reset."""
            self._await_oscillator()
            super().MFRC522_Reset()
            self._await_oscillator()

        def _await_oscillator(self):
            for _ in range(_RESET_READS):
                if not self.Read_MFRC522(self.CommandReg) & r.COMMAND_POWER_DOWN:
                    return

        def CalulateCRC(self, pIndata):
            """Clear CRCIRq first: the package's ClearBitMask writes it as 0 with Set2 = 0, which clears
            the other DivIrqReg bits and leaves CRCIRq set, so its wait would end before the result."""
            self.Write_MFRC522(self.DivIrqReg, r.DIV_IRQ_CRC)
            return super().CalulateCRC(pIndata)

    return InjectedMFRC522


class PackageReader(Closeable):
    """One reader driven by the `mfrc522` package; implements `sensors.base.Reader`."""

    def __init__(
        self,
        reader_id: str,
        spi,
        *,
        wiring: str = "CE0",
        reset_line: ResetLine | None = None,
        clock: ReaderClock | None = None,
        tag_power_up_s: float = TAG_POWER_UP_S,
    ):
        self._chip_class = package_chip_class()  # off a Pi this is a ConfigError now, not at the first poll
        self.reader_id = reader_id
        self.wiring = wiring
        self.chip_version: str | None = None
        self._spi = spi
        self._reset_line = reset_line.attach() if reset_line else None
        self._clock = clock or SystemReaderClock()
        self._tag_power_up_s = tag_power_up_s
        self._chip = None
        self._closed = False

    def poll(self) -> frozenset[str]:
        if self._closed:
            raise self._fault("reader is closed")
        try:
            return self._poll()
        except ReaderFault:
            raise
        except OSError as error:  # the SPI transfer itself failed (spidev ioctl)
            self._chip = None
            raise self._fault(f"SPI transfer failed: {error}") from error

    def _fault(self, message: str) -> ReaderFault:
        return ReaderFault(f"{self.reader_id} ({self.wiring}): {message}")

    def _poll(self) -> frozenset[str]:
        if self._chip is None:
            self._chip = self._chip_class(self._spi)
        chip = self._chip
        version = chip.Read_MFRC522(chip.VersionReg)
        if version not in r.KNOWN_VERSIONS:
            self._chip = None  # initialise again next poll
            self.chip_version = None
            raise self._fault(f"no MFRC522 answers (version register reads 0x{version:02X})")
        self.chip_version = r.describe_version(version)
        chip.AntennaOn()
        self._clock.sleep(self._tag_power_up_s)
        try:
            uid = self._read_uid(chip)
        finally:
            chip.AntennaOff()  # resets the card, so it answers the next REQA instead of every other one
            self._clock.sleep(FIELD_RESET_S)
        return frozenset({uid}) if uid else frozenset()

    @staticmethod
    def _read_uid(chip) -> str | None:
        status, _ = chip.MFRC522_Request(chip.PICC_REQIDL)
        if status != chip.MI_OK:
            return None
        uid = bytearray()
        for select_code in r.CASCADE_LEVELS:
            chip.Write_MFRC522(chip.BitFramingReg, 0x00)
            status, level, _ = chip.MFRC522_ToCard(chip.PCD_TRANSCEIVE, [select_code, 0x20])
            if status != chip.MI_OK or len(level) != 5 or r.bcc(level[:4]) != level[4]:
                return None
            if level[0] != r.CASCADE_TAG:
                return (uid + bytes(level[:4])).hex().upper()
            uid += bytes(level[1:4])
            frame = [select_code, r.NVB_SELECT, *level]
            status, _, bits = chip.MFRC522_ToCard(chip.PCD_TRANSCEIVE, frame + chip.CalulateCRC(frame))
            if status != chip.MI_OK or bits != 24:
                return None
        return None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._spi.close()
        if self._reset_line is not None:
            self._reset_line.detach()
