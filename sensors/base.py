"""The one seam between the scanner and any reader hardware.

A reader answers a single question: which tags are in my field right now? Real
drivers, the `mfrc522` package wrapper and simulated readers all implement it, so
the scanner and the rules never know which one they talk to. A reader that can also
poll in steps (`sensors.sweep.SteppedReader`) is swept together with the others on
its bus.
"""

from typing import Protocol, runtime_checkable

from board.core.errors import ReaderFault

__all__ = ["Reader", "ReaderFault", "fault_text"]


@runtime_checkable
class Reader(Protocol):
    """A tag reader behind one slot or the coach pad."""

    def poll(self) -> frozenset[str]:
        """Return the normalised UIDs present now; raise ReaderFault if the reader fails."""
        ...

    def close(self) -> None:
        """Release the hardware; safe to call more than once."""
        ...


def fault_text(error: Exception) -> str:
    """How a failed poll is reported: a ReaderFault by its message, a driver bug by its type too."""
    if isinstance(error, ReaderFault):
        return str(error)
    return f"{type(error).__name__}: {error}"
