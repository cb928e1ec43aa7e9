"""One exception tree for the whole service.

Each class mixes in the builtin it resembles (as gpiozero does), so callers can
catch either ours or the familiar builtin.
"""


class WallboardError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(WallboardError, ValueError):
    """The config file is unreadable or invalid; the message names field and line."""


class ReaderFault(WallboardError, IOError):
    """A reader did not answer or answered nonsense; it is offline, not empty."""


class StoreError(WallboardError, RuntimeError):
    """The database cannot be opened or migrated."""


class CommandError(WallboardError, ValueError):
    """An admin command was refused; `code` is stable and machine readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
