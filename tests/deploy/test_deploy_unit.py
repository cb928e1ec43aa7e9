"""deploy/wallboard.service as a Pi admin expects it: notify + watchdog, start limits, clock, console, hardening."""

import re
import shutil
import subprocess
from pathlib import Path

DEPLOY = Path(__file__).parents[2] / "deploy"


def filled_unit(tmp_path) -> Path:
    """The unit as install.sh writes it."""
    text = (DEPLOY / "wallboard.service").read_text()
    for placeholder, value in {
        "@PREFIX@": "/opt/wallboard",
        "@CONF_DIR@": "/etc/wallboard",
        "@DATA_DIR@": "/var/lib/wallboard",
    }.items():
        text = text.replace(placeholder, value)
    path = tmp_path / "wallboard.service"
    path.write_text(text)
    return path


def unit_settings(tmp_path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in filled_unit(tmp_path).read_text().splitlines():
        if match := re.fullmatch(r"\[(\w+)\]", line.strip()):
            section = sections.setdefault(match[1], {})
        elif "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            section.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_unit_reports_ready_pets_a_watchdog_and_gives_up_after_repeated_failures(tmp_path):
    unit = unit_settings(tmp_path)
    assert unit["Service"]["Type"] == ["notify"] and unit["Service"]["WatchdogSec"]
    assert unit["Unit"]["StartLimitIntervalSec"] and unit["Unit"]["StartLimitBurst"]
    assert unit["Service"]["Restart"] == ["on-failure"]


def test_the_unit_waits_for_the_clock_and_takes_tty1_from_getty(tmp_path):
    unit = unit_settings(tmp_path)
    assert any("time-sync.target" in after for after in unit["Unit"]["After"])
    assert unit["Unit"]["Conflicts"] == ["getty@tty1.service"]


def test_the_unit_opens_only_the_devices_the_wall_uses(tmp_path):
    service = unit_settings(tmp_path)["Service"]
    assert service["DevicePolicy"] == ["closed"]
    allowed = " ".join(service["DeviceAllow"])
    for device in ("/dev/spidev0.0", "char-gpiochip", "/dev/gpiomem", "char-drm", "/dev/fb0", "char-input"):
        assert device in allowed
    assert service["ProtectSystem"] == ["strict"] and service["ReadWritePaths"] == ["/var/lib/wallboard"]
    assert service["UMask"] == ["0027"] and service["NoNewPrivileges"] == ["yes"]


def test_systemd_rates_the_unit_ok_with_an_exposure_of_at_most_2_5(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "make test installs systemd for systemd-analyze"
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=25", str(filled_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    exposure = re.search(r"Overall exposure level for wallboard.service: (\d+\.\d+)", result.stdout)
    assert exposure, result.stdout + result.stderr
    assert float(exposure[1]) <= 2.5 and result.returncode == 0


def test_install_sh_is_valid_bash_and_routes_systemctl_and_raspi_config_through_one_seam():
    script = (DEPLOY / "install.sh").read_text()
    subprocess.run(["bash", "-n", str(DEPLOY / "install.sh")], check=True)
    commands = [
        line.strip()
        for line in script.splitlines()
        if re.search(r"\b(systemctl|raspi-config|journalctl)\b", line)
        and not re.match(r"\s*(#|echo )", line)
        and "command -v" not in line
    ]
    assert commands and all(re.search(r"\bhost (systemctl|raspi-config|journalctl)\b", line) for line in commands)
    assert "--no-same-owner" in script
