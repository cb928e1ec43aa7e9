"""deploy/install.sh upgrading a wall, run for real in a copy of this machine.

Release 0.1.0 is installed, upgraded to 0.2.0 (it starts), and then to 0.3.0, which adds
a table and does not start: install.sh must put 0.2.0 and the database from before
0.3.0's migration back and start the wall again. The copy is an overlay of this
machine's root (root, a mount namespace): useradd, /etc and /opt change only in
tmp_path. Debian's packages are this machine's (apt-get does nothing there); pip
installs each release for real; tests/deploy/fake-host.sh stands in for systemd.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from store.migrate import head_revision

pytestmark = pytest.mark.install

REPO = Path(__file__).parents[2]
BROKEN = "0.3.0"
# A copy of this machine's root: the overlay's changes go to $1/upper.
IN_COPY = r"""
set -e
copy=$1
shift
mount -t overlay overlay -o "lowerdir=/,upperdir=$copy/upper,workdir=$copy/work" "$copy/root"
mount -t proc proc "$copy/root/proc"
mount --rbind /dev "$copy/root/dev"
mount -t tmpfs tmpfs "$copy/root/tmp"
exec chroot "$copy/root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"
"""
# pip finds its packages in the copy as it does here (an index, a proxy, a CA bundle).
PASSED_ON = re.compile(r"PIP_\w+|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY")
# The copy has this machine's Debian packages: its apt-get does nothing (no network, no dpkg runs).
APT_GET_DOES_NOTHING = "#!/bin/sh\nexit 0\n"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    commands: list[str]  # what install.sh asked systemd for, in order

    @property
    def release(self) -> str:
        return re.search(r"==> Code: release \S+ in (\S+)", self.stdout)[1]


class MachineCopy:
    """This machine's root file system under an overlay, entered with chroot."""

    def __init__(self, folder: Path):
        self.folder = folder
        for part in ("upper", "work", "root"):
            (folder / part).mkdir()
        apt_get = self.file("/usr/local/sbin/apt-get")
        apt_get.parent.mkdir(parents=True, exist_ok=True)
        apt_get.write_text(APT_GET_DOES_NOTHING)
        apt_get.chmod(0o755)

    def file(self, path: str) -> Path:
        """Where a file install.sh wrote (or the test put) in the copy lies here."""
        return self.folder / "upper" / path.lstrip("/")

    def run(self, *command: str, **env: str) -> subprocess.CompletedProcess:
        passed = [f"{name}={value}" for name, value in os.environ.items() if PASSED_ON.fullmatch(name)]
        own = [f"{name}={value}" for name, value in env.items()]
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "bash", "-c", IN_COPY, "-", str(self.folder)]
            + [*passed, *own, *command],
            capture_output=True,
            text=True,
            timeout=900,
        )

    def install(self, release: Path, **env: str) -> Run:
        done = len(self.commands())
        result = self.run(
            f"/root/{release.name}/deploy/install.sh",
            HOST_COMMANDS="/root/wall-0.1.0/tests/deploy/fake-host.sh",
            FAKE_HOST_DIR="/root/fake-host",
            **env,
        )
        return Run(result.returncode, result.stdout, result.stderr, self.commands()[done:])

    def commands(self) -> list[str]:
        log = self.file("/root/fake-host/commands")
        return log.read_text().splitlines() if log.exists() else []

    def starts(self) -> list[str]:
        return self.file("/root/fake-host/starts").read_text().splitlines()

    def as_wall(self, *arguments: str) -> subprocess.CompletedProcess:
        """The installed wallboard command, as the wallboard user."""
        return self.run(
            "runuser", "-u", "wallboard", "--",
            "/opt/wallboard/venv/bin/wallboard", "--config", "/etc/wallboard/wallboard.toml", *arguments,
        )  # fmt: skip


def release_of_this_tree(copy: MachineCopy, version: str) -> Path:
    """This repository as release `version`, in the copy's /root."""
    tree = copy.file(f"/root/wall-{version}")
    shutil.copytree(
        REPO,
        tree,
        ignore=shutil.ignore_patterns(".git", ".venv*", "demo-data", "*.egg-info", "build", "__pycache__", ".*cache"),
    )
    project = tree / "pyproject.toml"
    project.write_text(re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', project.read_text(), count=1))
    return tree


def with_a_new_table(tree: Path) -> None:
    """A migration only this release has: after a roll-back its table must be gone."""
    (tree / "store/migrations/versions/9999_only_in_the_broken_release.py").write_text(
        f'"""a table only the broken release has"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "broken"\ndown_revision = "{head_revision()}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        'def upgrade() -> None:\n    op.create_table("only_in_the_broken_release", sa.Column("id", sa.Integer(), primary_key=True))\n\n\n'
        'def downgrade() -> None:\n    op.drop_table("only_in_the_broken_release")\n'
    )


@dataclass
class Upgrades:
    copy: MachineCopy
    first: Run
    good: Run
    broken: Run
    people_after: subprocess.CompletedProcess  # `wallboard person list` after the roll-back


@pytest.fixture(scope="module")
def upgrades(tmp_path_factory) -> Upgrades:
    assert os.geteuid() == 0, "install.sh runs as root, in an overlay copy of this machine: run the tests as root"
    copy = MachineCopy(tmp_path_factory.mktemp("machine"))
    probe = copy.run("true")
    assert probe.returncode == 0, f"cannot make an overlay copy of / (mount namespace, overlayfs): {probe.stderr}"
    releases = {version: release_of_this_tree(copy, version) for version in ("0.1.0", "0.2.0", BROKEN)}
    with_a_new_table(releases[BROKEN])

    first = copy.install(releases["0.1.0"])
    assert first.returncode == 0, first.stdout + first.stderr
    good = copy.install(releases["0.2.0"])
    assert good.returncode == 0, good.stdout + good.stderr
    added = copy.as_wall("person", "add", "Written Before The Upgrade")
    assert added.returncode == 0, added.stdout + added.stderr
    broken = copy.install(releases[BROKEN], FAKE_HOST_BROKEN_VERSION=BROKEN)
    return Upgrades(copy, first, good, broken, copy.as_wall("person", "list"))


def test_a_successful_upgrade_stops_the_wall_migrates_and_starts_the_new_release(upgrades):
    copy, good = upgrades.copy, upgrades.good
    assert good.commands.index("systemctl stop wallboard") < good.commands.index("systemctl start wallboard")
    assert "systemctl is-active --quiet wallboard" in good.commands[: good.commands.index("systemctl stop wallboard")]
    assert "systemctl enable --now wallboard" not in good.commands
    assert "==> Database migration (as wallboard)" in good.stdout
    stamp = Path(good.release).name
    assert f"upgraded: the wall runs release {stamp}" in good.stdout
    assert upgrades.copy.starts()[:2] == [
        f"0.1.0 {upgrades.first.release} active",
        f"0.2.0 {good.release} active",
    ]
    assert copy.file(f"/var/lib/wallboard/backups/before-{stamp}.db").exists()


def test_a_release_that_does_not_start_is_rolled_back_to_the_previous_one_with_its_database(upgrades):
    copy, good, broken = upgrades.copy, upgrades.good, upgrades.broken
    stamp = Path(broken.release).name
    backup = f"/var/lib/wallboard/backups/before-{stamp}.db"
    assert broken.returncode == 1
    assert "broken" in broken.stdout.split("==> Database migration")[1]  # it migrated, then did not start
    refused = "Job for wallboard.service failed because the control process exited with error code."
    failure = broken.stderr.splitlines()
    assert failure[failure.index(refused) :] == [
        refused,
        f"!!  Release {stamp} did not come up: the start of wallboard.service failed. The journal says:",
        f"wallboard.service: wallboard 0.1.0 from {upgrades.first.release} is ready",
        f"wallboard.service: wallboard 0.2.0 from {good.release} is ready",
        f"wallboard.service: wallboard {BROKEN} from {broken.release} exited before READY",
        f"!!  Rolled back: /opt/wallboard/venv is {good.release} again",
        f"!!  Database restored from {backup} (taken before the migration)",
        "!!  The previous release runs again; the upgrade failed: fix the problem above and run install.sh again",
    ]
    # The wall runs 0.2.0 again, started after the failed start of the broken release.
    assert copy.starts()[-2:] == [f"{BROKEN} {broken.release} failed", f"0.2.0 {good.release} active"]
    assert broken.commands[-2:] == ["systemctl start wallboard", "systemctl is-active --quiet wallboard"]
    assert copy.file("/root/fake-host/active/wallboard").exists()
    assert os.readlink(copy.file("/opt/wallboard/venv")) == good.release
    # The database is the one from before the broken release's migration, event included.
    people = upgrades.people_after
    assert people.returncode == 0 and "Written Before The Upgrade" in people.stdout, people.stdout + people.stderr
    with sqlite3.connect(copy.file("/var/lib/wallboard/wallboard.db")) as database:
        tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        (revision,) = database.execute("SELECT version_num FROM alembic_version").fetchone()
    assert "only_in_the_broken_release" not in tables and revision == head_revision()
