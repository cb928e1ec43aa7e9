"""The `wallboard` command: set up, run, inspect and administer a wall."""

import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from board.app.config import Config, load_config
from board.app.runtime import WallRuntime, build_readers, simulated_readers
from board.app.systemd import Systemd
from board.core.clock import FakeClock, SystemClock
from board.core.errors import WallboardError
from board.core.events import WallEvent
from board.core.i18n import text
from board.core.settings import PAD
from board.core.snapshot import SlotStatus, Snapshot
from board.dev import demo as demo_wall
from board.dev.simulation import Simulation, read_scenario
from board.mqtt.discovery import software_version
from board.wall.service import WallService
from sensors.doctor import print_probe_table, probe_readers, watch_readers
from sensors.pins import process_pin_factory
from store import migrate
from store.repository import Store

if TYPE_CHECKING:
    from render.display import WallDisplay

DEFAULT_CONFIG = "wallboard.toml"
log = logging.getLogger("wallboard")


class CliError(click.ClickException):
    """Shown as one line on stderr, never as a traceback."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except WallboardError as exc:
        raise CliError(str(exc)) from None


def _config(ctx: click.Context) -> Config:
    with friendly_errors():
        return load_config(ctx.obj["config_path"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("WALLBOARD_CONFIG", DEFAULT_CONFIG), show_default=DEFAULT_CONFIG,
              help="Config file (or set WALLBOARD_CONFIG).")
@click.option("--verbose", "-v", is_flag=True, help="Log debug details to stderr.")
@click.version_option(software_version(), "--version", prog_name="wallboard", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, config_path: Path, verbose: bool) -> None:
    """Polaroid Wall: a wall of polaroids that counts every move and every coached attempt."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter at every start
    ctx.obj = {"config_path": config_path}


# -- setting up -------------------------------------------------------------------


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the database and photos go (default: ./data next to the config).")
@click.pass_context
def init(ctx: click.Context, force: bool, data_dir: Path | None) -> None:
    """Write a commented example config (3 levels of 10 slots) and create the database."""
    path: Path = ctx.obj["config_path"]
    if path.exists() and not force:
        raise CliError(text("init.exists", path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    example = demo_wall.EXAMPLE_CONFIG.read_text(encoding="utf-8")
    if data_dir is not None:
        example = example.replace('data_dir = "data"', f"data_dir = {json.dumps(str(data_dir.resolve()))}")
    path.write_text(example, encoding="utf-8")
    config = _config(ctx)
    click.echo(text("init.written", config.language, path=path))
    with friendly_errors(), Store(config):
        click.echo(text("db.ready", config.language, url=config.database_url))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema (also done at every start)."""
    config = _config(ctx)
    with friendly_errors():
        store = Store(config)
        try:
            migrated = store.upgrade()
        finally:
            store.close()
    key = "db.migrated" if migrated else "db.current"
    click.echo(text(key, config.language, rev=migrate.head_revision()))


@db.command("rebuild")
@click.pass_context
def db_rebuild(ctx: click.Context) -> None:
    """Recompute where every card is from the event log."""
    config = _config(ctx)
    with friendly_errors(), Store(config) as store:
        count = store.rebuild_positions()
    click.echo(text("db.rebuilt", config.language, count=count))


# -- running ------------------------------------------------------------------------


@contextmanager
def looking_at_wall(config: Config) -> Iterator[WallService]:
    """The wall's store and service, for a command that only looks or adds what it was
    asked to, next to a running service: no readers, no threads, nothing ticks."""
    with friendly_errors(), WallRuntime(config, SystemClock(config.tz), readers={}) as runtime:
        yield runtime.service


def wait_for_stop_signal(announce: Callable[[], None]) -> None:
    """Block until SIGTERM (systemd) or Ctrl-C; `announce()` runs once the handler is in place,
    so whoever waits for the announcement may send SIGTERM at once."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        announce()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def draw_until_stopped(display: "WallDisplay") -> None:
    """Run the screen's loop on this (the main) thread until SIGTERM, Ctrl-C or Esc."""
    previous = signal.signal(signal.SIGTERM, lambda *_: display.stop())
    try:
        display.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.option("--headless", is_flag=True, help="No screen; the LED thermometer still runs.")
@click.pass_context
def run(ctx: click.Context, headless: bool) -> None:
    """Run the wall service from the config until stopped."""
    config = _config(ctx)
    systemd = Systemd()
    with friendly_errors(), WallRuntime(config, SystemClock(config.tz), live=True, screen=not headless,
                                        leds=True, systemd=systemd) as runtime:
        runtime.start()
        started = text("run.started", config.language, board=config.board_id)
        screen = f"; screen: {runtime.display.output.backend}" if runtime.display is not None else "; no screen"

        def announce() -> None:
            log.info(started)
            systemd.ready(started + screen)

        try:
            if runtime.display is None:
                wait_for_stop_signal(announce)
            else:
                announce()
                draw_until_stopped(runtime.display)
        finally:
            systemd.stopping()


class EventPrinter:
    """Prints every recorded event as one JSON line (the demo's headless output)."""

    def on_event(self, event: WallEvent) -> None:
        click.echo(json.dumps(event.as_payload(), ensure_ascii=False), nl=True)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        pass


def register_demo_people(service: WallService) -> None:
    """The demo crowd, with the illustrated portraits copied into the wall's photo folder."""
    from render.samples import photo_for

    service.config.photos_dir.mkdir(parents=True, exist_ok=True)
    ids = {}
    for person in demo_wall.DEMO_PEOPLE:
        photo = photo_for(person.name)
        if photo:
            shutil.copy(photo, service.config.photos_dir)
        ids[person.name] = service.add_person(person.name, card=person.card,
                                              photo=Path(photo).name if photo else None)
    for coach in demo_wall.DEMO_COACHES:
        service.add_coach(coach.name, coach.badge, ids.get(coach.person) if coach.person else None)


def demo_window(config: Config, readers: dict, size: tuple[int, int]):
    """The example wall in a window, with the demo's cards and badges; None without a screen."""
    from board.dev.demo_window import DemoBadge, DemoCard, DemoWindow
    from render.samples import photo_for

    cards = [DemoCard(person.card, person.name, photo_for(person.name)) for person in demo_wall.DEMO_PEOPLE]
    badges = [DemoBadge(coach.badge, coach.name) for coach in demo_wall.DEMO_COACHES]
    from render.screen import DisplayError

    window_config = config.display.model_copy(update={"size": size, "fullscreen": False, "night": ()})
    try:
        return DemoWindow(window_config, readers, cards, badges, pad_reader=PAD, clock=SystemClock(config.tz).now).open()
    except DisplayError as exc:
        click.echo(text("demo.no_window", config.language, reason=exc), err=True)
        return None


def window_size(_ctx, _param, value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter("use WIDTHxHEIGHT, like 1280x720") from None
    return width, height


@main.command()
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Replay a JSON-lines scenario as fast as possible and print the events.")
@click.option("--headless", is_flag=True, help="No window: the wall plays by itself and prints events on stdout.")
@click.option("--size", default="1280x720", show_default=True, callback=window_size, help="Size of the wall in the window.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-data"),
              show_default=True, help="Where the demo keeps its config and database (wiped at start).")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--start", "start_at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Scenario start time (local time of the wall); default: now.")
def demo(scenario: Path | None, headless: bool, size: tuple[int, int], data_dir: Path, language: str,
         start_at: datetime | None) -> None:
    """Open the example wall in a window: drag polaroids and coach badges (h for help)."""
    with friendly_errors():
        config = demo_wall.write_demo_config(data_dir, language)
    readers = simulated_readers(config)
    if scenario is not None:
        with friendly_errors():
            steps = read_scenario(scenario, readers)
        start = (start_at.replace(tzinfo=config.tz) if start_at else datetime.now(config.tz))
        clock = FakeClock(start, config.tz)
        with friendly_errors(), WallRuntime(config, clock, readers=readers, live=True) as runtime:
            register_demo_people(runtime.service)
            for event in Simulation(runtime.service, readers, clock).play(steps):
                click.echo(json.dumps(event.as_payload(), ensure_ascii=False))
        return
    demo_wall.hang_demo_cards(readers)
    window = None if headless else demo_window(config, readers, size)
    if window is not None:
        with window, friendly_errors(), WallRuntime(config, SystemClock(config.tz), readers=readers,
                                                    listeners=[EventPrinter(), window], live=True) as runtime:
            register_demo_people(runtime.service)
            runtime.start()
            click.echo(text("demo.started", language, dir=data_dir), err=True)
            draw_until_stopped(window)
        return
    autoplay = demo_wall.Autoplay(readers, config)
    with friendly_errors(), WallRuntime(config, SystemClock(config.tz), readers=readers, listeners=[EventPrinter()],
                                        live=True) as runtime:
        register_demo_people(runtime.service)
        runtime.start()
        autoplay.start()
        try:
            wait_for_stop_signal(lambda: click.echo(text("demo.started", language, dir=data_dir), err=True))
        finally:
            autoplay.stop()


# -- looking and administering ---------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show where every card is, the period and the thermometer."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        snapshot = service.snapshot()
    if as_json:
        click.echo(json.dumps(status_data(snapshot), ensure_ascii=False, indent=2))
    else:
        click.echo(status_text(snapshot))


@main.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option("--with-night", is_flag=True, help="Apply the night schedule (a black frame at night).")
@click.pass_context
def screenshot(ctx: click.Context, out: Path, with_night: bool) -> None:
    """Draw what the screen shows now into a PNG, without a screen."""
    from render.screenshot import render_png

    config = _config(ctx)
    with looking_at_wall(config) as service:
        snapshot = service.snapshot()
    display = config.display if with_night else config.display.model_copy(update={"night": ()})
    with friendly_errors():
        render_png(snapshot, display, out)
    click.echo(text("screenshot.saved", config.language, path=out))


def status_data(snapshot: Snapshot) -> dict:
    period = snapshot.period
    return {
        "board_id": snapshot.board_id,
        "period": {"starts_at": period.starts_at.isoformat(), "ends_at": period.ends_at.isoformat(),
                   "goal": period.goal, "count": period.count, "today": period.today},
        "slots": {slot.id: {"status": str(slot.status), "person": slot.person.name if slot.person else None}
                  for level in snapshot.levels for slot in level.slots},
        "moved_up": list(snapshot.moved_up),
    }


def status_text(snapshot: Snapshot) -> str:
    lang = snapshot.language
    period = snapshot.period
    lines = [text("status.title", lang, board=snapshot.board_id),
             text("status.period", lang, start=f"{period.starts_at:%d-%m-%Y}",
                  end=f"{period.ends_at.date() - timedelta(days=1):%d-%m-%Y}"),
             text("status.thermometer", lang, count=period.count, goal=period.goal,
                  percent=round(100 * period.fraction), today=period.today), ""]
    for level in reversed(snapshot.levels):
        lines.append(f"{level.name} ({level.id})")
        for slot in level.slots:
            if slot.status is SlotStatus.OFFLINE:
                what = text("status.offline", lang) + (f" ({slot.person.name})" if slot.person else "")
            elif slot.person:
                what = slot.person.name
            elif slot.status is SlotStatus.UNKNOWN:
                what = text("status.unknown", lang, uid=slot.unknown_uid)
            else:
                what = "—"
            lines.append(f"  {slot.id:>4}  {what}")
    if snapshot.moved_up:
        lines += ["", text("status.moved_up", lang, names=", ".join(snapshot.moved_up))]
    if snapshot.recent_attempts:
        lines += ["", text("status.recent", lang)]
        lines += [f"  {a.at:%d-%m %H:%M}  " + text("attempt_line", lang, person=a.person) + " — "
                  + text("attempt_by", lang, coach=a.coach or "admin") for a in snapshot.recent_attempts]
    return "\n".join(lines)


@main.group()
def person() -> None:
    """People on the wall."""


@person.command("add")
@click.argument("name")
@click.option("--card", help="Tag UID of the person's polaroid (hex, any separators).")
@click.pass_context
def person_add(ctx: click.Context, name: str, card: str | None) -> None:
    """Register a person, optionally with their card."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        person_id = service.add_person(name, card=card)
    click.echo(text("person.added", config.language, name=name, id=person_id))


@main.group()
def coach() -> None:
    """Coaches and their badges."""


@coach.command("add")
@click.argument("name")
@click.option("--badge", required=True, help="Tag UID of the coach's badge.")
@click.option("--person", "person_key", help="The coach's own person (id or name), if they are on the wall too.")
@click.pass_context
def coach_add(ctx: click.Context, name: str, badge: str, person_key: str | None) -> None:
    """Register a coach badge; only registered badges confirm attempts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        person_id = service.find_person(person_key).id if person_key else None
        coach_id = service.add_coach(name, badge, person_id)
    click.echo(text("coach.added", config.language, name=name, id=coach_id))


@main.command()
@click.option("--readers", "check_readers", is_flag=True,
              help="Probe every reader: chip select, chip version, tags present now, poll time.")
@click.option("--live", is_flag=True, help="With --readers: keep polling and print tags as they come and go.")
@click.pass_context
def doctor(ctx: click.Context, check_readers: bool, live: bool) -> None:
    """Check the wall: SPI, groups, readers, screen, LEDs, broker, clock, disk, database; one line each, with the fix.

    Run it as the service user (sudo -u wallboard wallboard doctor) with the service stopped.
    """
    config = _config(ctx)
    if not check_readers:
        from board.app.doctor import Host, Verdict, examine

        failed = False
        for finding in examine(config, Host(), build_readers=build_readers, pin_factory=process_pin_factory):
            click.echo(finding.line())
            failed = failed or finding.verdict is Verdict.FAIL
        ctx.exit(1 if failed else 0)
    with friendly_errors():
        readers = build_readers(config)
    try:
        if live:
            click.echo("+ tag appeared, - tag gone, ! reader failed, = reader back; stop with Ctrl-C", err=True)
            try:
                watch_readers(readers, sys.stdout)
            except KeyboardInterrupt:
                pass
            return
        probes = probe_readers(readers)
        print_probe_table(probes, sys.stdout)
        if any(probe.fault for probe in probes):
            ctx.exit(1)
    finally:
        for reader in readers.values():
            reader.close()


@main.command()
@click.option("--log-size", default=1_000_000, show_default=True, help="Events in the log for the query timing.")
@click.option("--events", "event_count", default=2000, show_default=True, help="Sensor events for the throughput run.")
@click.option("--display-idle", default=60.0, show_default=True,
              help="Seconds the screen loop idles while its CPU use is measured.")
@click.option("--reader-polls", default=1000, show_default=True,
              help="Polls per figure in the emulated reader benchmark (shares of polls that see a card).")
@click.option("--mqtt-moves", default=1000, show_default=True,
              help="Card moves (and admin requests) timed through a private Mosquitto.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON here.")
def bench(log_size: int, event_count: int, display_idle: float, reader_polls: int, mqtt_moves: int,
          out: Path | None) -> None:
    """Measure speed; prints the results as JSON."""
    from board.dev.bench import run_all

    results = run_all(log_size=log_size, event_count=event_count, display_idle=display_idle,
                      reader_polls=reader_polls, mqtt_moves=mqtt_moves)
    data = json.dumps(results, indent=2)
    click.echo(data)
    if out:
        out.write_text(data + "\n", encoding="utf-8")
