"""One live wall per data folder: `run` and `demo` hold an exclusive lock in it.

Two services on one database would both count a badge tap. The lock is an
flock on `wallboard.lock`: the kernel drops it when the holder dies, even by
kill -9, so a stale file never blocks a restart. The file says who holds it.
"""

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from board.core.closeable import Closeable
from board.core.errors import WallboardError

LOCK_NAME = "wallboard.lock"


class DataDirInUse(WallboardError, BlockingIOError):
    """Another wallboard holds the lock of this data folder; the message says who."""


class DataDirLock(Closeable):
    def __init__(self, data_dir: Path, command: str):
        self.path = Path(data_dir) / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> "DataDirLock":
        """Take the lock or raise DataDirInUse naming the holder; the folder must exist."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirInUse(
                f"{self.path.parent} is in use by another wallboard ({self.holder()}); stop that one first"
            ) from None
        os.ftruncate(fd, 0)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": self.command,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd
        return self

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it."""
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            return f"wallboard {holder['command']}, pid {holder['pid']} on {holder['host']}, since {holder['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "it has not said who it is yet"

    def close(self) -> None:
        """Release the lock; safe to call twice. The file stays: removing it would race a new holder."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
