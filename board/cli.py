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

from board.app.command_language import click_speaks, localise
from board.app.config import Config, load_config
from board.app.lock import DataDirLock
from board.app.runtime import WallRuntime, build_readers, simulated_readers
from board.app.systemd import Systemd
from board.core.clock import FakeClock, SystemClock
from board.core.errors import CommandError, StoreError, WallboardError
from board.core.events import EventType, WallEvent
from board.core.i18n import DEFAULT_LANGUAGE, text
from board.core.settings import PAD
from board.core.snapshot import SlotStatus, Snapshot
from board.dev import demo as demo_wall
from board.dev.simulation import Simulation, read_scenario
from board.mqtt.discovery import software_version
from board.mqtt.state import snapshot_payload
from board.wall.service import WallService
from sensors.doctor import print_probe_table, probe_readers, watch_readers
from sensors.pins import process_pin_factory
from store import migrate
from store.backup import backup, default_backup_dir, refuse_damaged_database, restore
from store.repository import Store, require_database

if TYPE_CHECKING:
    from render.display import WallDisplay

DEFAULT_CONFIG = "wallboard.toml"
log = logging.getLogger("wallboard")


class CliError(click.ClickException):
    """Shown as one line on stderr, never as a traceback, in the wall's language."""

    exit_code = 2

    def __init__(self, message: str, language: str = DEFAULT_LANGUAGE):
        super().__init__(message)
        self.language = language

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"{text('cli.error', self.language)}: {self.message}", file=file or sys.stderr)


@contextmanager
def friendly_errors(language: str = DEFAULT_LANGUAGE) -> Iterator[None]:
    """A refusal or a fault as one line, a refused command in the wall's language."""
    try:
        yield
    except CommandError as exc:
        raise CliError(exc.in_language(language), language) from None
    except WallboardError as exc:
        raise CliError(str(exc), language) from None


def _config(ctx: click.Context) -> Config:
    with friendly_errors(ctx.obj["language"]):
        return load_config(ctx.obj["config_path"])


def wall_language(config_path: Path | None) -> str:
    """The language of the wall this command is about; Dutch, the default, without a readable config."""
    if config_path is None:
        return DEFAULT_LANGUAGE
    try:
        return load_config(config_path).language
    except WallboardError:
        return DEFAULT_LANGUAGE


class WallCommand(click.Group):
    """The `wallboard` command, in the wall's language from its first word on: help and
    usage errors are printed while click parses, before any callback runs, so the
    language is settled here, from the config the arguments name."""

    def main(self, args=None, prog_name=None, **extra):
        arguments = sys.argv[1:] if args is None else list(args)
        language = wall_language(self.config_path(arguments))
        localise(self, language)
        with click_speaks(language):
            return super().main(arguments, prog_name, obj={"language": language}, **extra)

    def config_path(self, arguments: list[str]) -> Path | None:
        """The config the arguments name (or WALLBOARD_CONFIG's, or the default), read
        leniently: no help, no version, no errors printed."""
        with self.make_context("wallboard", list(arguments), resilient_parsing=True) as ctx:
            return ctx.params.get("config_path")


# The help of every option comes from the catalogue (board/core/i18n.py), in the wall's language.
@click.group(cls=WallCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("WALLBOARD_CONFIG", DEFAULT_CONFIG),
    show_default=DEFAULT_CONFIG,
)
@click.option("--verbose", "-v", is_flag=True)
@click.version_option(software_version(), "--version", prog_name="wallboard", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, config_path: Path, verbose: bool) -> None:
    """Polaroid Wall: a wall of polaroids that counts every move and every coached attempt."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter at every start
    # The database, photos and backups are the team's data: not for every user of the Pi.
    os.umask(0o027)
    ctx.obj["config_path"] = config_path


# -- setting up -------------------------------------------------------------------


@main.command()
@click.option("--force", is_flag=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, force: bool, data_dir: Path | None) -> None:
    """Write a commented example config (3 levels of 10 slots) and create the database."""
    path: Path = ctx.obj["config_path"]
    if path.exists() and not force:
        raise CliError(text("init.exists", ctx.obj["language"], path=path), ctx.obj["language"])
    path.parent.mkdir(parents=True, exist_ok=True)
    example = demo_wall.EXAMPLE_CONFIG.read_text(encoding="utf-8")
    if data_dir is not None:
        example = example.replace('data_dir = "data"', f"data_dir = {json.dumps(str(data_dir.resolve()))}")
    path.write_text(example, encoding="utf-8")
    config = _config(ctx)
    click.echo(text("init.written", config.language, path=path))
    with friendly_errors(config.language), Store(config):
        click.echo(text("db.ready", config.language, url=config.database_url))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema (also done at every start)."""
    config = _config(ctx)
    with friendly_errors(config.language):
        store = Store(config, create=False)
        try:
            migrated = store.upgrade()
        finally:
            store.close()
    key = "db.migrated" if migrated else "db.current"
    click.echo(text(key, config.language, rev=migrate.head_revision()))


@db.command("backup")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", default=14, show_default=True, type=click.IntRange(min=1))
@click.pass_context
def db_backup(ctx: click.Context, folder: Path | None, keep: int) -> None:
    """Back up the database and photos into one archive; safe while the service runs."""
    config = _config(ctx)
    with friendly_errors(config.language):
        require_database(config)
        archive = backup(config, (folder or default_backup_dir(config)).resolve(), keep, datetime.now(config.tz))
    click.echo(text("db.backed_up", config.language, path=archive))


@db.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def db_restore(ctx: click.Context, archive: Path) -> None:
    """Put a backup back (stop the service first); the database it replaces is kept."""
    config = _config(ctx)
    with friendly_errors(config.language):
        config.data_dir.mkdir(parents=True, exist_ok=True)
        with DataDirLock(config.data_dir, "db restore").acquire():
            kept = restore(config, archive, datetime.now(config.tz))
    click.echo(text("db.restored", config.language, path=archive))
    if kept:
        click.echo(text("db.kept", config.language, path=kept))


@db.command("create")
@click.pass_context
def db_create(ctx: click.Context) -> None:
    """Create the database of this config (init does it for a new wall); other commands never do."""
    config = _config(ctx)
    with friendly_errors(config.language), Store(config):
        click.echo(text("db.ready", config.language, url=config.database_url))


@db.command("rebuild")
@click.pass_context
def db_rebuild(ctx: click.Context) -> None:
    """Recompute where every card is from the event log."""
    config = _config(ctx)
    with friendly_errors(config.language), Store(config, create=False) as store:
        count = store.rebuild_positions()
    click.echo(text("db.rebuilt", config.language, count=count))


# -- running ------------------------------------------------------------------------


@contextmanager
def looking_at_wall(config: Config) -> Iterator[WallService]:
    """The wall's store and service, for a command that only looks or adds what it was
    asked to, next to a running service: no readers, no threads, nothing ticks. It never
    creates a database: a typo in data_dir must not start a new, empty wall."""
    with (
        friendly_errors(config.language),
        WallRuntime(config, SystemClock(config.tz), readers={}, create=False) as runtime,
    ):
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
@click.option("--headless", is_flag=True)
@click.pass_context
def run(ctx: click.Context, headless: bool) -> None:
    """Run the wall service from the config until stopped."""
    config = _config(ctx)
    clock = SystemClock(config.tz)
    with friendly_errors(config.language):
        require_database(config)
        lock = DataDirLock(config.data_dir, "run").acquire()  # before the screen: a second run must not take it
        try:
            refuse_damaged_database(config, clock.now())
        except StoreError:
            lock.close()
            raise
    systemd = Systemd()
    with (
        lock,
        friendly_errors(config.language),
        WallRuntime(config, clock, live=True, screen=not headless, leds=True, systemd=systemd, create=False) as runtime,
    ):
        runtime.start()
        started = text("run.started", config.language, board=config.board_id)
        if runtime.display is not None:
            screen = text("run.screen", config.language, backend=runtime.display.output.backend)
        else:
            screen = text("run.no_screen", config.language)

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
        ids[person.name] = service.add_person(person.name, card=person.card, photo=Path(photo).name if photo else None)
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
        return DemoWindow(
            window_config, readers, cards, badges, pad_reader=PAD, clock=SystemClock(config.tz).now
        ).open()
    except DisplayError as exc:
        click.echo(text("demo.no_window", config.language, reason=exc), err=True)
        return None


def window_size(ctx: click.Context, _param, value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(text("cli.bad_size", ctx.obj["language"])) from None
    return width, height


@main.command()
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--headless", is_flag=True)
@click.option("--size", default="1280x720", show_default=True, callback=window_size)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-data"),
    show_default=True,
)
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--start", "start_at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]))
def demo(
    scenario: Path | None,
    headless: bool,
    size: tuple[int, int],
    data_dir: Path,
    language: str,
    start_at: datetime | None,
) -> None:
    """Open the example wall in a window: drag polaroids and coach badges (h for help)."""
    with friendly_errors(language):
        lock = demo_wall.claim_demo_folder(data_dir)
    with lock:
        play_demo(scenario, headless, size, data_dir, language, start_at)


def play_demo(
    scenario: Path | None,
    headless: bool,
    size: tuple[int, int],
    data_dir: Path,
    language: str,
    start_at: datetime | None,
) -> None:
    with friendly_errors(language):
        config = demo_wall.write_demo_config(data_dir, language)
    readers = simulated_readers(config)
    if scenario is not None:
        with friendly_errors(language):
            steps = read_scenario(scenario, readers)
        start = start_at.replace(tzinfo=config.tz) if start_at else datetime.now(config.tz)
        clock = FakeClock(start, config.tz)
        with friendly_errors(language), WallRuntime(config, clock, readers=readers, live=True) as runtime:
            register_demo_people(runtime.service)
            for event in Simulation(runtime.service, readers, clock).play(steps):
                click.echo(json.dumps(event.as_payload(), ensure_ascii=False))
        return
    demo_wall.hang_demo_cards(readers)
    window = None if headless else demo_window(config, readers, size)
    if window is not None:
        with (
            window,
            friendly_errors(language),
            WallRuntime(
                config, SystemClock(config.tz), readers=readers, listeners=[EventPrinter(), window], live=True
            ) as runtime,
        ):
            register_demo_people(runtime.service)
            runtime.start()
            click.echo(text("demo.started", language, dir=data_dir), err=True)
            draw_until_stopped(window)
        return
    autoplay = demo_wall.Autoplay(readers, config)
    with (
        friendly_errors(language),
        WallRuntime(config, SystemClock(config.tz), readers=readers, listeners=[EventPrinter()], live=True) as runtime,
    ):
        register_demo_people(runtime.service)
        runtime.start()
        autoplay.start()
        try:
            wait_for_stop_signal(lambda: click.echo(text("demo.started", language, dir=data_dir), err=True))
        finally:
            autoplay.stop()


# -- looking and administering ---------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True)
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
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-night", is_flag=True)
@click.pass_context
def screenshot(ctx: click.Context, out: Path, with_night: bool) -> None:
    """Draw what the screen shows now into a PNG, without a screen."""
    from render.screenshot import render_png

    config = _config(ctx)
    with looking_at_wall(config) as service:
        snapshot = service.snapshot()
    display = config.display if with_night else config.display.model_copy(update={"night": ()})
    with friendly_errors(config.language):
        render_png(snapshot, display, out)
    click.echo(text("screenshot.saved", config.language, path=out))


def status_data(snapshot: Snapshot) -> dict:
    """`status --json`: a summary of the MQTT state (`snapshot_payload`), slots by id with the person's name."""
    state = snapshot_payload(snapshot)
    return {
        "board_id": state["board_id"],
        "period": {key: state["period"][key] for key in ("starts_at", "ends_at", "goal", "count", "today")},
        "slots": {
            slot["id"]: {"status": slot["status"], "person": slot["person"]["name"] if slot["person"] else None}
            for level in state["levels"]
            for slot in level["slots"]
        },
        "moved_up": state["moved_up"],
    }


def status_text(snapshot: Snapshot) -> str:
    lang = snapshot.language
    period = snapshot.period
    lines = [
        text("status.title", lang, board=snapshot.board_id),
        text(
            "status.period",
            lang,
            start=f"{period.starts_at:%d-%m-%Y}",
            end=f"{period.ends_at.date() - timedelta(days=1):%d-%m-%Y}",
        ),
        text(
            "status.thermometer",
            lang,
            count=period.count,
            goal=period.goal,
            percent=round(100 * period.fraction),
            today=period.today,
        ),
        "",
    ]
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
        lines += [
            f"  {a.at:%d-%m %H:%M}  "
            + text("attempt_line", lang, person=a.person)
            + " — "
            + text("attempt_by", lang, coach=a.coach or "admin")
            for a in snapshot.recent_attempts
        ]
    return "\n".join(lines)


@main.group()
def person() -> None:
    """People on the wall."""


@person.command("add")
@click.argument("name")
@click.option("--card")
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
@click.option("--badge", required=True)
@click.option("--person", "person_key")
@click.pass_context
def coach_add(ctx: click.Context, name: str, badge: str, person_key: str | None) -> None:
    """Register a coach badge; only registered badges confirm attempts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        person_id = service.find_person(person_key).id if person_key else None
        coach_id = service.add_coach(name, badge, person_id)
    click.echo(text("coach.added", config.language, name=name, id=coach_id))


@person.command("list")
@click.option("--archived", is_flag=True)
@click.pass_context
def person_list(ctx: click.Context, archived: bool) -> None:
    """Everyone on the wall: id, name, slot and cards."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        people = sorted(service.directory.people.values(), key=lambda person: person.id)
        cards = {
            person.id: sorted(uid for uid, owner in service.directory.cards.items() if owner == person.id)
            for person in people
        }
        slots = {person_id: slot for person_id, (slot, _since) in service.state.positions.items()}
    for info in people:
        if info.archived and not archived:
            continue
        note = text("person.is_archived", config.language) if info.archived else ""
        click.echo(f"{info.id:>4}  {info.name:<24} {slots.get(info.id, '—'):>5}  {' '.join(cards[info.id])}{note}")


@person.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.pass_context
def person_rename(ctx: click.Context, name: str, new_name: str) -> None:
    """Give a person (by name or id) another name; old events keep the old one."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        found = service.find_person(name)
        renamed = service.update_person(found.id, name=new_name)
    click.echo(text("person.renamed", config.language, old=found.name, new=renamed.name))


@person.command("archive")
@click.argument("name")
@click.pass_context
def person_archive(ctx: click.Context, name: str) -> None:
    """Take a person off the wall for good: their card is free again, their history stays."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        archived = service.archive_person(service.find_person(name).id)
    click.echo(text("person.archived", config.language, name=archived.name))


@person.command("photo")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def person_photo(ctx: click.Context, name: str, file: Path) -> None:
    """Set a person's photo from any phone photo (turned upright, made smaller, stored as JPEG)."""
    from board.app.photo_import import photo_from_file
    from board.mqtt.api import stored_photo

    config = _config(ctx)
    with friendly_errors(config.language):
        photo = photo_from_file(file)
    with looking_at_wall(config) as service:
        found = service.find_person(name)
        with stored_photo(service, photo) as stored:
            service.update_person(found.id, photo=stored)
    click.echo(text("person.photo", config.language, name=found.name, path=config.photos_dir / stored))


@coach.command("list")
@click.pass_context
def coach_list(ctx: click.Context) -> None:
    """The coaches whose badges confirm attempts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        coaches = sorted(service.directory.coaches.values(), key=lambda info: info.id)
        people = service.directory.people
    for info in coaches:
        on_wall = text("coach.on_wall", config.language, name=people[info.person_id].name) if info.person_id else ""
        click.echo(f"{info.id:>4}  {info.name:<24} {info.badge}{on_wall}")


@coach.command("remove")
@click.argument("name")
@click.pass_context
def coach_remove(ctx: click.Context, name: str) -> None:
    """Retire a coach (by name or id): their badge no longer confirms attempts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        removed = service.remove_coach(find_coach(service, name).id)
    click.echo(text("coach.removed", config.language, name=removed.name))


def find_coach(service: WallService, key: str):
    """A coach by id or by exact (case-insensitive) name."""
    if key.isdigit():
        return service.coach(int(key))
    matches = [info for info in service.directory.coaches.values() if info.name.casefold() == key.casefold()]
    if len(matches) != 1:
        raise CommandError.said("not_found", "error.no_coach_named", name=key)
    return matches[0]


@main.group()
def goal() -> None:
    """The thermometer's goal."""


@goal.command("set")
@click.argument("attempts", type=click.IntRange(0, 1_000_000))
@click.option("--next", "for_next", is_flag=True)
@click.pass_context
def goal_set(ctx: click.Context, attempts: int, for_next: bool) -> None:
    """Set the goal (confirmed attempts) of this period or the next."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        service.set_goal(attempts, "next" if for_next else "current")
    click.echo(text("goal.next" if for_next else "goal.current", config.language, goal=attempts))


@main.group()
def attempt() -> None:
    """Confirmed attempts."""


@attempt.command("list")
@click.option("--period", "period_spec", default="current", show_default=True)
@click.pass_context
def attempt_list(ctx: click.Context, period_spec: str) -> None:
    """The attempts of a period, with their ids (to void one)."""
    from board.wall.export import export_rows
    from board.wall.reports import resolve_span

    config = _config(ctx)
    with looking_at_wall(config) as service:
        span = resolve_span(service.store, config, period_spec, service.clock.now())
        rows = export_rows(service.store, config, "attempts", span)
    for row in rows:
        at = datetime.fromisoformat(row["at"])
        voided = text("attempt.is_voided", config.language) if row["voided"] else ""
        click.echo(
            f"{row['attempt_id']:>5}  {at:%d-%m %H:%M}  {row['person_name']:<20} "
            f"{row['coach_name'] or 'admin':<16}{voided}"
        )


@attempt.command("void")
@click.argument("attempt_id", type=click.IntRange(1))
@click.option("--reason", required=True)
@click.pass_context
def attempt_void(ctx: click.Context, attempt_id: int, reason: str) -> None:
    """Void an attempt: it stays in history, with the reason, and no longer counts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        event = service.void_attempt(attempt_id, reason)
    click.echo(text("attempt.voided", config.language, id=attempt_id, person=event.details["person_name"]))


@main.group()
def move() -> None:
    """Card positions."""


@move.command("correct")
@click.argument("name")
@click.argument("slot")
@click.option("--reason", required=True)
@click.pass_context
def move_correct(ctx: click.Context, name: str, slot: str, reason: str) -> None:
    """Put the record right: NAME's card really hangs in SLOT (or "off": off the wall)."""
    config = _config(ctx)
    to_slot = None if slot.lower() == "off" else slot
    with looking_at_wall(config) as service:
        found = service.find_person(name)
        service.correct_move(found.id, to_slot, reason)
    if to_slot:
        click.echo(text("move.corrected", config.language, name=found.name, slot=to_slot))
    else:
        click.echo(text("move.corrected_off", config.language, name=found.name))


@main.group()
def period() -> None:
    """Periods: the stretch of time the thermometer counts."""


@period.command("close")
@click.pass_context
def period_close(ctx: click.Context) -> None:
    """End the period now: its awards are handed out and the next period starts."""
    config = _config(ctx)
    with looking_at_wall(config) as service:
        recorded = service.close_period()
    lang = config.language
    for event in recorded:
        if event.type is EventType.PERIOD_CLOSED:
            click.echo(text("period.closed", lang, id=event.details["period_id"], count=event.details["count"]))
        elif event.type is EventType.AWARD_GIVEN:
            click.echo(f"  {event.details['title']}: {event.details['line']}")
        elif event.type is EventType.PERIOD_STARTED:
            click.echo(
                text(
                    "period.started",
                    lang,
                    id=event.details["period_id"],
                    end=f"{datetime.fromisoformat(event.details['ends_at']):%d-%m-%Y %H:%M}",
                )
            )


@main.command()
@click.argument("table", type=click.Choice(["attempts", "moves", "events", "people"]))
@click.option("--period", "period_spec", default="all", show_default=True)
@click.option("--format", "out_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, table: str, period_spec: str, out_format: str, out: Path | None) -> None:
    """Export attempts, moves, events or people as CSV or JSON (UTF-8; columns in docs/export.md)."""
    from board.wall.export import as_csv, as_json, export_rows
    from board.wall.reports import resolve_span

    config = _config(ctx)
    with looking_at_wall(config) as service:
        span = resolve_span(service.store, config, period_spec, service.clock.now())
        rows = export_rows(service.store, config, table, span)
    data = as_csv(table, rows) if out_format == "csv" else as_json(rows)
    if out is None:
        click.echo(data, nl=False)
        return
    with written_whole(out, config.language) as partial:
        partial.write_bytes(data.encode("utf-8"))


@contextmanager
def written_whole(path: Path, language: str) -> Iterator[Path]:
    """A file written whole or not at all: beside the target first, then renamed over it."""
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CliError(f"{path}: {exc.strerror}", language) from None


@main.command()
@click.option("--period", "period_spec", default="last", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--poster", is_flag=True)
@click.option("--language", type=click.Choice(["nl", "en"]))
@click.option("--show", "show_minutes", type=click.IntRange(0, 1440), is_flag=False, flag_value=15, default=None)
@click.pass_context
def harvest(
    ctx: click.Context, period_spec: str, out: Path | None, poster: bool, language: str | None, show_minutes: int | None
) -> None:
    """The harvest of a period: its awards, with --out the printable report for the harvest session,
    with --show on the wall's screen."""
    from board.wall.reports import harvest_of, resolve_span

    config = _config(ctx)
    language = language or config.language
    config = config.model_copy(update={"language": language})
    with looking_at_wall(config) as service:
        span = resolve_span(service.store, config, period_spec, service.clock.now())
        result = harvest_of(service.store, config, span)
        if show_minutes is not None:
            service.show_harvest(period_spec, show_minutes * 60)
            click.echo(text("harvest.showing", language, minutes=show_minutes))
    if out is None:
        click.echo(text("report.title", language, board=result.board_id))
        for award in result.awards:
            click.echo(f"  {award.title}: {award.line}")
        return
    from board.app.report import write_report

    with written_whole(out, language) as partial:
        pages = write_report(result, config, partial, language, poster)
    click.echo(text("report.written", language, path=out, pages=pages))


@main.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--record", is_flag=True)
@click.option("--start", "start_at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]))
@click.pass_context
def replay(ctx: click.Context, scenario: Path, record: bool, start_at: datetime | None) -> None:
    """Replay a scenario (the JSON lines `demo --scenario` reads) on this wall's levels, people and rules.

    The readers are simulated and MQTT stays off; events are printed as JSON lines.
    """
    import tempfile

    config = _config(ctx)
    config = config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"enabled": False})})
    readers = simulated_readers(config)
    with friendly_errors(config.language):
        steps = read_scenario(scenario, readers)
    clock = FakeClock(start_at.replace(tzinfo=config.tz) if start_at else datetime.now(config.tz), config.tz)
    with tempfile.TemporaryDirectory(prefix="wallboard-replay-") as scratch:
        if not record:
            with friendly_errors(config.language):
                config = scratch_copy(config, Path(scratch))
        with friendly_errors(config.language), WallRuntime(config, clock, readers=readers, live=True) as runtime:
            for event in Simulation(runtime.service, readers, clock).play(steps):
                click.echo(json.dumps(event.as_payload(), ensure_ascii=False))


def scratch_copy(config: Config, directory: Path) -> Config:
    """The config pointed at a copy of its database (SQLite's backup: consistent next to a running wall)."""
    import sqlite3

    from board.core.settings import StoreSettings

    source = config.database_path
    target = directory / "wallboard.db"
    if source.exists():
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as original, sqlite3.connect(target) as copy:
            original.backup(copy)
    return config.model_copy(update={"store": StoreSettings(url=f"sqlite:///{target}")})


@main.command()
@click.option("--readers", "check_readers", is_flag=True)
@click.option("--live", is_flag=True)
@click.pass_context
def doctor(ctx: click.Context, check_readers: bool, live: bool) -> None:
    """Check the wall: SPI, groups, readers, screen, LEDs, broker, clock, disk, database; one line each, with the fix.

    Run it as the service user (sudo -u wallboard wallboard doctor) with the service stopped.
    """
    config = _config(ctx)
    if not check_readers:
        from board.app.doctor import Host, Verdict, examine, summary

        findings = []
        for finding in examine(config, Host(), build_readers=build_readers, pin_factory=process_pin_factory):
            click.echo(finding.line(config.language))
            findings.append(finding)
        click.echo(summary(findings, config.language))
        ctx.exit(1 if any(finding.verdict is Verdict.FAIL for finding in findings) else 0)
    with friendly_errors(config.language):
        readers = build_readers(config)
    try:
        if live:
            click.echo(text("readers.live", config.language), err=True)
            try:
                watch_readers(readers, sys.stdout, config.language)
            except KeyboardInterrupt:
                pass
            return
        probes = probe_readers(readers)
        print_probe_table(probes, sys.stdout, config.language)
        if any(probe.fault for probe in probes):
            ctx.exit(1)
    finally:
        for reader in readers.values():
            reader.close()


@main.group()
def bridge() -> None:
    """The bridge from this Pi's Mosquitto to a company broker (docs/fleet.md)."""


def write_mosquitto_conf(path: Path, section: str) -> None:
    """Mosquitto's bridge section holds the company password: root and the mosquitto group read it, nobody else."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.touch(mode=0o600)
    temporary.chmod(0o640 if os.geteuid() == 0 else 0o600)
    temporary.write_text(section, encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(temporary, "root", "mosquitto" if _group_exists("mosquitto") else "root")
    temporary.replace(path)


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@bridge.command("setup")
@click.option("--company-broker", "address", required=True)
@click.option("--ca", "ca_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username")
@click.option("--password-file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mosquitto-conf", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--take-over", is_flag=True)
@click.pass_context
def bridge_setup(
    ctx: click.Context,
    address: str,
    ca_file: Path,
    username: str | None,
    password_file: Path,
    mosquitto_conf: Path,
    take_over: bool,
) -> None:
    """Claim the board id on the company broker, then save [mqtt.bridge] and write Mosquitto's bridge section.

    Refused, changing nothing, when another wall holds the board id there.
    """
    from pydantic import ValidationError

    from board.app.config import save_config_text, with_bridge
    from board.mqtt.bridge import claim, mosquitto_section, wall_identity
    from board.mqtt.config import BridgeConfig

    config = _config(ctx)
    host, _, port = address.partition(":")
    try:
        settings = BridgeConfig(
            host=host,
            port=port or 8883,
            ca_file=ca_file.resolve(),
            username=username,
            password_file=password_file.resolve(),
        )
    except ValidationError as error:
        raise CliError(f"--company-broker {address}: {error.errors()[0]['msg']}") from None
    if not config.mqtt.enabled:
        raise CliError("[mqtt] enabled = false: the wall publishes nothing, so nothing would cross the bridge")
    with friendly_errors():
        text, bridged = with_bridge(ctx.obj["config_path"], settings)
        identity = wall_identity(bridged.data_dir)
        section = mosquitto_section(bridged.board_id, settings, identity)
        holder = claim(bridged.board_id, settings, identity, take_over=take_over)
        save_config_text(ctx.obj["config_path"], text)
        write_mosquitto_conf(mosquitto_conf, section)
    click.echo(
        f"board_id {bridged.board_id} is this wall's on {settings.host}:{settings.port} (since {holder.claimed_at}); "
        f"bridge section in {mosquitto_conf}: restart Mosquitto"
    )


@bridge.command("conf")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def bridge_conf(ctx: click.Context, out: Path) -> None:
    """Write Mosquitto's bridge section again from [mqtt.bridge], as this version makes it (install.sh does)."""
    from board.mqtt.bridge import mosquitto_section, wall_identity

    config = _config(ctx)
    if config.mqtt.bridge is None:
        raise CliError("no [mqtt.bridge] in the config: set one up with wallboard bridge setup")
    with friendly_errors():
        write_mosquitto_conf(
            out, mosquitto_section(config.board_id, config.mqtt.bridge, wall_identity(config.data_dir))
        )
    click.echo(f"bridge section in {out}: restart Mosquitto")


@main.command()
@click.option("--log-size", default=1_000_000, show_default=True)
@click.option("--events", "event_count", default=2000, show_default=True)
@click.option("--display-idle", default=60.0, show_default=True)
@click.option("--reader-polls", default=1000, show_default=True)
@click.option("--mqtt-moves", default=1000, show_default=True)
@click.option("--harvest-log-size", default=100_000, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def bench(
    log_size: int,
    event_count: int,
    display_idle: float,
    reader_polls: int,
    mqtt_moves: int,
    harvest_log_size: int,
    out: Path | None,
) -> None:
    """Measure speed; prints the results as JSON."""
    from board.dev.bench import run_all

    results = run_all(
        log_size=log_size,
        event_count=event_count,
        display_idle=display_idle,
        reader_polls=reader_polls,
        mqtt_moves=mqtt_moves,
        harvest_log_size=harvest_log_size,
    )
    data = json.dumps(results, indent=2)
    click.echo(data)
    if out:
        out.write_text(data + "\n", encoding="utf-8")


# -- many walls: the company's side (docs/fleet.md) ---------------------------------


# The collector writes and the dashboard reads the same database; the help of each says which side.
fleet_database = click.option("--db", "db_url", default="sqlite:///fleet.db", show_default=True)


@main.group()
def fleet() -> None:
    """Many walls, one company view (docs/fleet.md)."""


@fleet.command("collect")
@fleet_database
@click.option("--broker", default="localhost", show_default=True)
@click.option("--username")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--cert-file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key-file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--group", default="wallboard-collector", show_default=True)
@click.option("--client-id")
@click.option("--gap-grace", default=2.0, show_default=True)
@click.option("--sweep-every", default=300.0, show_default=True)
def fleet_collect(
    db_url: str,
    broker: str,
    username: str | None,
    password_file: Path | None,
    ca_file: Path | None,
    cert_file: Path | None,
    key_file: Path | None,
    group: str,
    client_id: str | None,
    gap_grace: float,
    sweep_every: float,
) -> None:
    """Collect every wall's events from the company broker into the fleet database, each once."""
    from pydantic import ValidationError

    from board.fleet.collector import Collector
    from board.fleet.db import open_fleet
    from board.mqtt.config import MqttConfig

    host, _, port = broker.rpartition(":") if ":" in broker else (broker, "", "")
    try:
        tls = None if ca_file is None else {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}
        port_number = int(port) if port else (8883 if tls else 1883)
        mqtt_config = MqttConfig(
            enabled=True,
            host=host,
            port=port_number,
            username=username,
            password_file=password_file,
            tls=tls,
            client_id=client_id,
        )
    except (ValueError, ValidationError) as exc:
        raise CliError(f"--broker/--username/TLS options: {exc}") from None
    with friendly_errors():
        engine = open_fleet(db_url)
    collector = Collector(engine, mqtt_config, group=group, gap_grace=gap_grace, sweep_every=sweep_every)
    collector.start()
    wait_for_stop_signal(
        lambda: log.info("collecting into %s; stop with Ctrl+C or SIGTERM", engine.url.render_as_string())
    )
    collector.stop()
    engine.dispose()


@fleet.command("serve")
@fleet_database
@click.option(
    "--dashboard-config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="fleet-dashboard.toml",
    show_default=True,
    envvar="WALLBOARD_DASHBOARD_CONFIG",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def fleet_serve(db_url: str, config_path: Path, host: str, port: int, threads: int) -> None:
    """The company dashboard: every wall, the ranking, the awards and the harvest, read-only."""
    from waitress import serve

    from board.fleet.dashboard import create_app
    from board.fleet.dashboard_config import load_dashboard_config
    from board.fleet.db import fleet_engine

    with friendly_errors():
        config = load_dashboard_config(config_path)
        app = create_app(fleet_engine(db_url), config, warm=True)
    log.info("the dashboard is on http://%s:%d/ (put HTTPS in front of it: docs/fleet.md)", host, port)
    serve(app, host=host, port=port, threads=threads, ident="wallboard")


@fleet.command("password")
@click.argument("name")
@click.password_option()
def fleet_password(name: str, password: str) -> None:
    """Print a dashboard user's lines for the dashboard's config (only a hash of the password)."""
    from board.fleet.dashboard_config import User, password_hash

    with friendly_errors():
        try:
            user = User(name=name, password_hash=password_hash(password))
        except ValueError as exc:
            raise CliError(f"NAME: {exc}") from None
    click.echo(f"[[users]]\nname = {json.dumps(user.name)}\npassword_hash = {json.dumps(user.password_hash)}")


@fleet.command("token")
def fleet_token() -> None:
    """Make a token for a screen or a script: the token to hand out, and its hash for the config."""
    from board.fleet.dashboard_config import new_token

    token, digest = new_token()
    click.echo(f"token (give it out, keep it secret): {token}")
    click.echo(f'config line: token_hashes = ["{digest}"]')


@fleet.command("bench")
@click.option("--walls", default=200, show_default=True)
@click.option("--people", default=30, show_default=True)
@click.option("--day-seconds", default=60.0, show_default=True)
@click.option("--rate", "rate_per_hour", default=300.0, show_default=True)
@click.option("--burst-every", default=10.0, show_default=True)
@click.option("--burst-walls", default=5, show_default=True)
@click.option("--collectors", default="1,2", show_default=True)
@click.option("--dashboard-events", default=1_000_000, show_default=True, type=click.IntRange(0))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def fleet_bench(
    walls: int,
    people: int,
    day_seconds: float,
    rate_per_hour: float,
    burst_every: float,
    burst_walls: int,
    collectors: str,
    dashboard_events: int,
    out: Path | None,
) -> None:
    """Measure the collector and the dashboard: simulated walls, a private Mosquitto and PostgreSQL; prints JSON."""
    from board.dev.fleet_bench import run as run_fleet_bench

    try:
        counts = tuple(int(count) for count in collectors.split(","))
    except ValueError:
        raise CliError(f"--collectors: comma-separated numbers, not {collectors!r}") from None
    if burst_walls > walls or min(counts) < 1:
        raise CliError("--burst-walls must not exceed --walls, and every collector count must be at least 1")
    results = run_fleet_bench(
        walls, people, day_seconds, rate_per_hour, burst_every, burst_walls, counts, dashboard_events
    )
    data = json.dumps(results, indent=2)
    click.echo(data)
    if out:
        out.write_text(data + "\n", encoding="utf-8")
