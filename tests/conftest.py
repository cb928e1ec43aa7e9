import importlib.util
import os
from pathlib import Path

import pytest

# WALLBOARD_TEST_NOW moves the wall clock of this process and of every Python
# process the tests start (see tests/timeshift/sitecustomize.py).
TIMESHIFT = Path(__file__).parent / "timeshift"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TIMESHIFT), os.environ.get("PYTHONPATH")]))
_spec = importlib.util.spec_from_file_location("wallboard_test_timeshift", TIMESHIFT / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))

# Headless pygame everywhere (see shared notes: without the audio dummy,
# event.wait() returns at once with an AudioDeviceAdded event).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from tests.harness import Wall  # noqa: E402


@pytest.fixture
def wall(tmp_path):
    wall = Wall(tmp_path)
    wall.people = wall.add_people()
    yield wall
    wall.close()


@pytest.fixture
def initialised(tmp_path):
    """A folder where `wallboard init` has set up a wall: config and database."""
    from tests.app.test_cli import wallboard

    wallboard("init", cwd=tmp_path)
    return tmp_path
