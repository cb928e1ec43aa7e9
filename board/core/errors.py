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
    """An admin command was refused; `code` is stable and machine readable.

    `message` is English (the MQTT API's language); one made with `said` can also
    be told in the wall's language (`in_language`), as the CLI does.
    """

    def __init__(self, code: str, message: str, key: str | None = None, values: dict[str, object] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.key = key
        self.values = values or {}

    @classmethod
    def said(cls, code: str, key: str, **values: object) -> "CommandError":
        from board.core.i18n import text  # i18n needs nothing from here; imported late to keep errors first

        return cls(code, text(key, "en", **values), key, values)

    def in_language(self, language: str) -> str:
        from board.core.i18n import text

        return text(self.key, language, **self.values) if self.key else self.message
