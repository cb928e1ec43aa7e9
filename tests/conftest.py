import os

import pytest

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
