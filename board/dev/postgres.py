"""A private PostgreSQL for tests and `wallboard fleet bench`: a cluster in a temp folder on a free loopback port.

Never the machine's own server: `initdb` makes a new cluster, `pg_ctl` starts it on
127.0.0.1 with its socket in the same folder, and `close()` removes it all.
PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` user that Debian's package creates.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from board.dev.broker import free_port

INSTALL_HINT = "sudo apt-get install -y postgresql (or run `make test`, which installs it)"
USER = "fleet"


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError(f"PostgreSQL's initdb is missing; install it: {INSTALL_HINT}")
    return Path(found[-1]).parent


class PostgreSQL:
    """One throwaway cluster; `url(name)` creates a database in it and returns its SQLAlchemy URL."""

    def __init__(self, durable: bool = False) -> None:
        """`durable`: fsync every commit as production does (the bench); tests skip it for speed."""
        self.bin = postgres_bin()
        self.durable = durable
        self.host = "127.0.0.1"
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="wallboard-postgres-"))
        self.data = self.directory / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._started = False

    def _run(self, *command: str | Path) -> None:
        result = subprocess.run(
            [*self._as_user, *map(str, command)], stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}")

    def start(self, timeout: float = 30.0) -> "PostgreSQL":
        if not self.data.exists():
            self._run(self.bin / "initdb", "-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories={self.directory}"
        if not self.durable:  # a test cluster: speed over surviving a power cut
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.directory / "log",
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        )
        self._started = True
        return self

    def url(self, database: str) -> str:
        """Create `database` (empty) and return its URL."""
        with psycopg.connect(host=self.host, port=self.port, user=USER, dbname="postgres", autocommit=True) as db:
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return f"postgresql+psycopg://{USER}@{self.host}:{self.port}/{database}"

    def log(self) -> str:
        path = self.directory / "log"
        return path.read_text() if path.exists() else "(no log)"

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "PostgreSQL":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()
