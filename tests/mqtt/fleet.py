"""A company broker with walls bridged to it, set up the way docs/fleet.md says, for tests.

Every wall's own Mosquitto starts with the bridge section that `wallboard bridge
setup` wrote for it after claiming its board id on the company broker: TLS with
the company's CA, the wall's own user, the company ACL (deploy/mosquitto/company.acl).
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from board.dev.broker import DEPLOY_ACL, BrokerTls, Mosquitto
from tests.app.test_cli import wallboard
from tests.mqtt.certificates import make_certificates
from tests.mqtt.wall import write_wall_config

COMPANY_ACL = DEPLOY_ACL.with_name("company.acl")
CENTRAL_USERS = {"collector": "collector-secret", "admin": "company-admin-secret"}


def wall_password(board_id: str) -> str:
    return f"{board_id}-bridge-secret"


class Company:
    """The company broker: TLS for the walls' bridges, plain loopback for the tests' own clients."""

    def __init__(self, board_ids: list[str]):
        # Readable by the mosquitto user, which every broker here runs as: the walls' bridges read the CA.
        self.files = Path(tempfile.mkdtemp(prefix="wallboard-company-"))
        self.files.chmod(0o755)
        self.certificates = make_certificates(self.files)
        for path in self.files.iterdir():
            path.chmod(0o644)
        users = {board_id: wall_password(board_id) for board_id in board_ids} | CENTRAL_USERS
        tls = BrokerTls(self.certificates.ca, self.certificates.server_cert, self.certificates.server_key)
        self.broker = Mosquitto(users, COMPANY_ACL.read_text(), tls).start()

    @property
    def address(self) -> str:
        return f"{self.broker.host}:{self.broker.tls_port}"

    def close(self) -> None:
        self.broker.close()
        shutil.rmtree(self.files, ignore_errors=True)


class BridgedWall:
    """A wall's folder (config, database) and its Pi's Mosquitto with the deploy ACL, bridged by `wallboard bridge setup`."""

    def __init__(self, directory: Path, company: Company, board_id: str):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.company = company
        self.board_id = board_id
        self.base = f"wallboard/{board_id}"
        self.broker = Mosquitto()
        self.config_path = write_wall_config(directory, self.broker, board_id)
        self.bridge_conf = directory / "wallboard.bridge.conf"

    def setup(self, *options: str, password: str | None = None) -> subprocess.CompletedProcess:
        """`wallboard bridge setup` as install.sh runs it; returns the finished command (it may be refused)."""
        password_file = self.directory / "company-password"
        password_file.write_text(password or wall_password(self.board_id))
        return wallboard(
            *("--config", str(self.config_path), "bridge", "setup"),
            *("--company-broker", self.company.address, "--ca", str(self.company.certificates.ca)),
            *("--password-file", str(password_file), "--mosquitto-conf", str(self.bridge_conf)),
            *options,
            cwd=self.directory,
            check=False,
        )

    def start(self) -> "BridgedWall":
        """Set the bridge up (it must be accepted) and start the wall's broker with it."""
        result = self.setup()
        assert result.returncode == 0, result.stderr
        self.broker.add_config(self.bridge_conf.read_text())
        self.broker.start()
        return self

    def close(self) -> None:
        self.broker.close()
