"""`wallboard run` carries in memory only what runs: alembic only to migrate, MQTT only when enabled."""

import json
import os
import subprocess
import sys

# Runs the real `wallboard run` in this process until the screen has shown a frame, then lists
# the modules imported and stops the wall the way systemd does.
RUN_AND_LIST_MODULES = """
import os, signal, sys, json
from render.display import WallDisplay
listing, config = sys.argv[1:3]
shown = WallDisplay.show
def show_then_stop(self, frame, areas=None):
    shown(self, frame, areas)
    with open(listing, "w") as out:
        json.dump(sorted(sys.modules), out)
    os.kill(os.getpid(), signal.SIGTERM)
WallDisplay.show = show_then_stop
sys.argv = ["wallboard", "--config", config, "run"]
from board.cli import main
main()
"""


def modules_of_a_running_wall(folder) -> set[str]:
    out = folder / "modules.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, str(out), str(folder / "wallboard.toml")],
        env=env,
        cwd=folder,
        check=True,
        timeout=120,
        capture_output=True,
    )
    return {name.split(".")[0] for name in json.loads(out.read_text())} | set(json.loads(out.read_text()))


def test_a_wall_with_a_current_schema_and_no_mqtt_imports_neither_alembic_nor_paho(initialised):
    modules = modules_of_a_running_wall(initialised)
    assert "render.display" in modules  # it ran, screen and all
    assert "alembic" not in modules
    assert "paho" not in modules and "board.mqtt.api" not in modules
    assert "pkg_resources" not in modules  # pygame-ce does not pull in setuptools


def test_a_wall_whose_schema_is_behind_migrates_with_alembic_at_start(initialised):
    from alembic import command
    from sqlalchemy import create_engine

    from store import migrate

    engine = create_engine(f"sqlite:///{initialised / 'data' / 'wallboard.db'}")
    config = migrate._alembic_config()
    with engine.begin() as connection:  # the schema one migration behind, as after an update
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert migrate.current_revision(engine) != migrate.head_revision()
    assert "alembic" in modules_of_a_running_wall(initialised)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_the_newest_revision_read_without_alembic_is_alembics_own():
    from alembic.script import ScriptDirectory

    from store import migrate

    assert migrate.head_revision() == ScriptDirectory.from_config(migrate._alembic_config()).get_current_head()
