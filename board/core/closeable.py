"""`with` support for devices whose `close()` is safe to call twice."""

from typing import Self


class Closeable:
    """Mix in for anything with a `close()`: `with Device(...) as device:` closes it on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
