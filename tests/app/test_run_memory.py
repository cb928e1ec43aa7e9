"""`wallboard run` carries in memory only what runs: SQLAlchemy and alembic only to migrate, MQTT only
when enabled, and pictures of at most a few screens."""

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


def test_a_wall_with_a_current_schema_and_no_mqtt_imports_neither_sqlalchemy_alembic_nor_paho(initialised):
    modules = modules_of_a_running_wall(initialised)
    assert "render.display" in modules  # it ran, screen and all
    assert "sqlalchemy" not in modules and "alembic" not in modules  # the store runs on sqlite3 alone
    assert "paho" not in modules and "board.mqtt.api" not in modules
    assert "pkg_resources" not in modules  # pygame-ce does not pull in setuptools


def test_a_wall_whose_schema_is_behind_migrates_with_alembic_at_start(initialised):
    from alembic import command

    from store import migrate
    from store.engine import make_engine
    from store.sqlite import Connections

    database = initialised / "data" / "wallboard.db"
    engine = make_engine(f"sqlite:///{database}")
    config = migrate._alembic_config()
    with engine.begin() as connection:  # the schema one migration behind, as after an update
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    engine.dispose()
    connections = Connections(database)
    with connections.connection() as connection:
        assert migrate.current_revision(connection) != migrate.head_revision()
    assert "alembic" in modules_of_a_running_wall(initialised)
    with connections.connection() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()
    connections.close()


def test_the_newest_revision_read_without_alembic_is_alembics_own():
    from alembic.script import ScriptDirectory

    from store import migrate

    assert migrate.head_revision() == ScriptDirectory.from_config(migrate._alembic_config()).get_current_head()


# Runs the real `wallboard run` in this process: its memory with the code loaded, and once its first
# frame has been shown and the wall has settled, then stops it the way systemd does.
RUN_AND_MEASURE = """
import json, os, signal, sys, threading, time
def rss_kb():
    status = open(f"/proc/{os.getpid()}/status").read()
    return int(status.split("VmRSS:")[1].split()[0])
from board.cli import main
from render.display import WallDisplay
measured, config = sys.argv[1:3]
loaded = rss_kb()
shown = WallDisplay.show
def measure_then_stop():
    time.sleep(2)
    with open(measured, "w") as out:
        json.dump({"code_loaded_kb": loaded, "drawing_kb": rss_kb()}, out)
    os.kill(os.getpid(), signal.SIGTERM)
def show_then_measure(self, frame, areas=None):
    shown(self, frame, areas)
    if self.frames_presented == 0:  # the first frame (counted once shown)
        threading.Thread(target=measure_then_stop, daemon=True).start()
WallDisplay.show = show_then_measure
sys.argv = ["wallboard", "--config", config, "run"]
main()
"""


def test_a_drawing_wall_holds_less_than_four_screens_of_memory_beyond_its_code(initialised):
    """The screen, the backdrop and the kept parts (cells, panel, note) come to ~3 screens at
    1920x1080, the rest (fonts, the wall's state) to under half of one (3.4 measured): one more
    full-screen surface would break this."""
    from board.dev.bench import drawing_all_day

    config = initialised / "wallboard.toml"
    config.write_text(drawing_all_day(config.read_text(encoding="utf-8"), (1920, 1080)), encoding="utf-8")
    out = initialised / "memory.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    subprocess.run(
        [sys.executable, "-c", RUN_AND_MEASURE, str(out), str(config)],
        env=env,
        cwd=initialised,
        check=True,
        timeout=120,
        capture_output=True,
    )
    measured = json.loads(out.read_text())
    screen_kb = 1920 * 1080 * 4 / 1024
    assert (measured["drawing_kb"] - measured["code_loaded_kb"]) / screen_kb < 4
