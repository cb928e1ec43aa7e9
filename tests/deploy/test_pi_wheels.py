"""The pygame a Pi gets from pip: its aarch64 wheel must bundle an SDL with KMSDRM (Pi OS Lite has no desktop).

Marked slow: it downloads the wheel from PyPI. `make check-pi` runs it; `make test` does not.
"""

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).parents[2]


def pygame_requirement() -> str:
    dependencies = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    [requirement] = [dependency for dependency in dependencies if re.match(r"pygame(-ce)?\b", dependency)]
    return requirement


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.13"])  # Bookworm's Python, and Trixie's
def test_the_aarch64_wheel_pip_installs_on_a_pi_bundles_sdl_with_kmsdrm(tmp_path, python):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_aarch64",
            "--python-version",
            python,
            "--dest",
            str(tmp_path),
            pygame_requirement(),
        ],
        check=True,
        timeout=600,
    )
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        [sdl] = [name for name in archive.namelist() if re.search(r"/libSDL2-2[.-][^/]*$", name)]
        library = archive.read(sdl)
    assert library[18:20] == (183).to_bytes(2, "little"), f"{sdl} is no AArch64 library"
    assert b"KMSDRM_VideoInit" in library, f"{wheel.name}: {sdl} has no KMSDRM driver"
