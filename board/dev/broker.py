"""A private Mosquitto for tests and `wallboard bench`: own port, own users, the deploy ACL.

Never the system broker: every instance binds a free loopback port and reads a
config, password file and ACL written into its own directory. Given certificates,
it also listens for TLS on a second free port.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MOSQUITTO = Path("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = Path("/usr/bin/mosquitto_passwd")
DEPLOY_ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"
INSTALL_HINT = "sudo apt-get install -y mosquitto mosquitto-clients (or run `make test`, which installs them)"

# The roles of the deploy ACL, with throwaway passwords for this private broker.
USERS = {"wallboard": "board-secret", "admin": "admin-secret", "homeassistant": "ha-secret", "viewer": "viewer-secret"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _readable_by_broker(path: Path) -> None:
    """Mosquitto started as root drops to the `mosquitto` user; let that user read."""
    if os.geteuid() != 0:
        return
    try:
        broker_user = pwd.getpwnam("mosquitto")
    except KeyError:
        return
    os.chown(path, broker_user.pw_uid, broker_user.pw_gid)


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener: the broker's certificate and key, and the CA that client certificates must come from."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    require_certificate: bool = False


class Mosquitto:
    """One broker process that a test can stop and start again on the same ports."""

    def __init__(
        self, users: dict[str, str] = USERS, acl: str | None = None, tls: BrokerTls | None = None, settings: str = ""
    ):
        """`settings`: more mosquitto.conf lines (the fleet bench sets a company broker's queue limits)."""
        for binary in (MOSQUITTO, MOSQUITTO_PASSWD):
            if not binary.exists():
                raise RuntimeError(f"{binary} is missing; install it: {INSTALL_HINT}")
        self.users = dict(users)
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None  # the plain port stays open next to it
        self.host = "127.0.0.1"
        self.directory = Path(tempfile.mkdtemp(prefix="wallboard-mosquitto-"))
        self.directory.chmod(0o755)
        self.log_file = self.directory / "mosquitto.log"
        self._process: subprocess.Popen | None = None
        self._settings = settings
        self._write_files(acl if acl is not None else DEPLOY_ACL.read_text())

    def _write_files(self, acl: str) -> None:
        password_file = self.directory / "passwd"
        password_file.touch()
        for user, password in self.users.items():
            subprocess.run(
                [MOSQUITTO_PASSWD, "-b", password_file, user, password],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        (self.directory / "acl").write_text(acl)
        (self.directory / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            "set_tcp_nodelay true\n"
            f"password_file {password_file}\n"
            f"acl_file {self.directory / 'acl'}\n"
            # Persistent sessions and retained messages survive stop/start, as in production.
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            f"log_dest file {self.log_file}\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\nlog_type subscribe\n"
            + self._tls_listener()
            + self._settings
        )
        for path in (password_file, self.directory / "acl", self.directory / "mosquitto.conf", self.directory):
            path.chmod(0o644 if path.is_file() else 0o755)
            _readable_by_broker(path)

    def _tls_listener(self) -> str:
        """The TLS listener's lines, with copies of its files where the broker can read them."""
        if self.tls is None:
            return ""
        lines = [f"listener {self.tls_port} 127.0.0.1"]
        for option, source in (
            ("cafile", self.tls.ca_file),
            ("certfile", self.tls.cert_file),
            ("keyfile", self.tls.key_file),
        ):
            copy = self.directory / f"tls-{option}.pem"
            shutil.copyfile(source, copy)
            copy.chmod(0o600 if option == "keyfile" else 0o644)
            _readable_by_broker(copy)
            lines.append(f"{option} {copy}")
        lines.append(f"require_certificate {str(self.tls.require_certificate).lower()}")
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> "Mosquitto":
        if self._process is not None:
            raise RuntimeError("broker already running")
        self._process = subprocess.Popen(
            [MOSQUITTO, "-c", self.directory / "mosquitto.conf"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"mosquitto exited at start:\n{self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"mosquitto did not accept connections within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else "(no log)"

    def subscriptions(self, client_id: str) -> list[str]:
        """The topic filters `client_id` subscribed to, as the log says: what a client listens to."""
        pattern = re.compile(rf"\d+: {re.escape(client_id)} \d (\S+)")
        return [match[1] for match in map(pattern.fullmatch, self.log().splitlines()) if match]

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "Mosquitto":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()
