"""`wallboard fleet serve`: the company's read-only web page over the fleet database.

Flask renders every page on the server with Jinja2 (autoescaping: wall and
people names are untrusted text) and there is no JavaScript at all; a page
refreshes itself with a meta tag. Access needs a login (users with password
hashes from the config) or a token (`Authorization: Bearer ...`, or `?token=`
for a screen in the L&D office); HTTPS is the reverse proxy's job (docs/fleet.md).
"""

import csv
import io
import secrets
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, redirect, render_template, request, send_from_directory, session, url_for
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import render
from board.core.clock import Clock, SystemClock
from board.core.errors import StoreError
from board.core.events import EventType
from board.fleet.dashboard_config import DashboardConfig
from board.fleet.dashboard_texts import LANGUAGES, DashboardTexts
from board.fleet.db import current_revision, head_revision
from board.fleet.harvests import WHICH, Harvests, WallHarvest, Which
from board.fleet.location_report import span_text, write_location_report
from board.fleet.models import Event, Wall
from board.fleet.overview import Overview, Ranked, load_overview

HERE = Path(__file__).parent
FONTS = Path(render.__file__).parent / "fonts"  # the wall screen's own fonts, so the page looks like the wall
REFRESH_SECONDS = 60
OPEN = {"login", "login_post", "static", "font"}  # endpoints anyone may reach


def create_app(engine: Engine, config: DashboardConfig, clock: Clock | None = None, warm: bool = False) -> Flask:
    """The dashboard as a WSGI app over a migrated fleet database (refuses one the collector has not set up).

    `warm` folds every wall's harvest in a thread from the start and keeps them fresh, so
    no visitor of the awards waits for 200 logs to be folded (minutes, docs/fleet.md)."""
    if current_revision(engine) != head_revision():
        raise StoreError("the fleet database is not set up (or from another version): start `wallboard fleet collect`")
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.secret_key = config.secret_key or secrets.token_hex(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    clock = clock or SystemClock(config.tz)
    harvests = Harvests(config)
    if warm:
        threading.Thread(target=harvests.keep_fresh, args=(engine,), name="dashboard-harvests", daemon=True).start()

    def now() -> datetime:
        return clock.now().astimezone(config.tz)

    @app.before_request
    def choose_language_and_check_access() -> Response | None:
        wanted = request.args.get("lang")
        if wanted in LANGUAGES:
            session["lang"] = wanted
        language = session.get("lang") or request.accept_languages.best_match(LANGUAGES) or config.language
        g.texts = DashboardTexts(language)
        if request.endpoint in OPEN:
            return None
        if session.get("user"):
            return None
        bearer = request.headers.get("Authorization", "")
        token = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else request.args.get("token")
        if token and config.check_token(token):
            return None  # each request shows its token; no cookie, so a token taken away stops working at once
        if request.accept_mimetypes.accept_html and not bearer and request.method == "GET":
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        response = Response(g.texts("error.forbidden") + "\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="wallboard"'
        return response

    @app.after_request
    def safe_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # a ?token= never leaves in a Referer
        if request.endpoint not in ("static", "font"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def page_helpers() -> dict[str, Any]:
        texts: DashboardTexts = g.texts
        moment = now()

        def when(at: datetime | None) -> str:
            """ "10:42" today, "di 10:42" this week, "14-11-2026" before that."""
            if at is None:
                return texts("wall.never")
            local = at.astimezone(config.tz)
            if moment - local > timedelta(days=6):
                return f"{local:%d-%m-%Y}"
            return texts.clock_time(local, moment.date())

        def with_lang(language: str) -> str:
            """This page's address in another language, the token (if any) kept."""
            args = {key: value for key, value in request.args.items() if key != "lang"}
            return url_for(request.endpoint or "walls", **(request.view_args or {}), **args, lang=language)

        token = request.args.get("token") if not session.get("user") else None

        def link(endpoint: str, **args: Any) -> str:
            """A link to another page; a screen that came in with a token keeps it."""
            return url_for(endpoint, **args, **({"token": token} if token else {}))

        return {
            "t": texts,
            "link": link,
            "lang": texts.language,
            "other_lang": "en" if texts.language == "nl" else "nl",
            "with_lang": with_lang,
            "when": when,
            "today": texts.long_date(moment.date()),
            "title": config.title,
            "logged_in": bool(session.get("user")),
            "refresh": REFRESH_SECONDS,
            "quiet_hours": f"{config.quiet_hours:g}",
            "goal_per_person": texts.decimal(config.goal_per_person_per_week, 1).removesuffix(",0").removesuffix(".0"),
        }

    def overview() -> Overview:
        with Session(engine) as db:
            return load_overview(db, config, now())

    def which() -> Which:
        spec = request.args.get("period", "current")
        if spec not in WHICH:
            abort(Response(g.texts("error.bad_period", spec=spec) + "\n", 400, mimetype="text/plain"))
        return spec  # type: ignore[return-value]  # checked above

    def all_harvests(period: Which) -> list[WallHarvest]:
        with Session(engine) as db:
            return harvests.all(db, period, g.texts.language)

    # -- pages -------------------------------------------------------------------------

    @app.get("/login")
    def login() -> str:
        return render_template("login.html", failed=False, next=request.args.get("next", ""))

    @app.post("/login")
    def login_post() -> Response | tuple[str, int]:
        name, password = request.form.get("user", ""), request.form.get("password", "")
        if not config.check_password(name, password):
            return render_template("login.html", failed=True, next=request.form.get("next", "")), 401
        chosen = session.get("lang")  # a language picked on the login page stays; otherwise the browser's
        session.clear()
        session["user"] = name
        if chosen:
            session["lang"] = chosen
        return redirect(_local(request.form.get("next", "")) or url_for("walls"))

    @app.post("/logout")
    def logout() -> Response:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def walls() -> str:
        return render_template("walls.html", view=overview(), page="walls")

    @app.get("/ranking")
    def ranking() -> str:
        return render_template("ranking.html", view=overview(), page="ranking")

    @app.get("/awards")
    def awards() -> str:
        period = which()
        return render_template("awards.html", harvests=all_harvests(period), period=period, page="awards")

    @app.get("/harvest")
    def harvest() -> str:
        period = which()
        by_location = locations(all_harvests(period), config, g.texts)
        spans = {location: span_text(walls, g.texts) for location, walls in by_location.items()}
        return render_template("harvest.html", locations=by_location, spans=spans, period=period, page="harvest")

    @app.get("/harvest/<location>.pdf")
    def harvest_pdf(location: str) -> Response:
        by_location = locations(all_harvests(which()), config, g.texts)
        if location not in by_location:
            abort(404)
        buffer = io.BytesIO()
        write_location_report(location, by_location[location], buffer, g.texts.language)
        response = Response(buffer.getvalue(), mimetype="application/pdf")
        response.headers["Content-Disposition"] = "inline; filename=harvest.pdf"
        return response

    @app.get("/export/ranking.csv")
    def ranking_csv() -> Response:
        return csv_response("ranking", ranking_rows(overview().ranking))

    @app.get("/export/walls.csv")
    def walls_csv() -> Response:
        return csv_response("walls", walls_rows(overview()))

    @app.get("/export/attempts.csv")
    def attempts_csv() -> Response:
        view = overview()
        with Session(engine) as db:
            return csv_response("attempts", attempts_rows(db, view))

    @app.get("/fonts/<name>")
    def font(name: str) -> Response:
        if not name.endswith(".otf"):
            abort(404)
        return send_from_directory(FONTS, name, max_age=86400)

    return app


def _local(target: str) -> str | None:
    """Only a path on this site is followed after a login (never another host)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def locations(harvests: list[WallHarvest], config: DashboardConfig, texts: DashboardTexts) -> dict[str, list]:
    """The walls by location, in the config's order; walls in no location last, as "other walls"."""
    grouped: dict[str, list[WallHarvest]] = {name: [] for name in config.locations}
    other = texts("harvest.other")
    for wall in harvests:
        grouped.setdefault(wall.location or other, []).append(wall)
    return {name: walls for name, walls in grouped.items() if walls}


# -- CSV: the same figures as the pages, one row per line of the page ------------------------


def csv_response(name: str, rows: Iterable[list[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}.csv"
    return response


def _cell(value: Any) -> Any:
    """A name that starts like a formula is written as text, so a spreadsheet never runs it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


RANKING_COLUMNS = ["place", "board_id", "wall", "people", "attempts", "per_person", "target", "score", "goal"]


def ranking_rows(ranking: Iterable[Ranked]) -> Iterable[list[Any]]:
    yield RANKING_COLUMNS
    for row in ranking:
        wall = row.wall
        yield [
            row.place,
            wall.board_id,
            wall.name,
            wall.people,
            wall.attempts,
            row.per_person,
            row.target,
            row.score,
            wall.goal,
        ]


WALLS_COLUMNS = [
    "board_id",
    "wall",
    "location",
    "online",
    "quiet",
    "people",
    "period_id",
    "period_start",
    "period_end",
    "goal",
    "attempts",
    "moved_up",
    "last_event_at",
]


def walls_rows(view: Overview) -> Iterable[list[Any]]:
    yield WALLS_COLUMNS
    for wall in view.walls:
        period = wall.period
        yield [
            wall.board_id,
            wall.name,
            wall.location,
            "yes" if wall.online else "no",
            wall.quiet or "",
            wall.people,
            None if period is None else period.id,
            None if period is None else period.starts_at,
            None if period is None else period.ends_at,
            wall.goal,
            wall.attempts,
            "; ".join(wall.moved_up),
            wall.last_event_at,
        ]


ATTEMPTS_COLUMNS = [
    "board_id",
    "wall",
    "period_id",
    "attempt_id",
    "seq",
    "at",
    "person_id",
    "person",
    "coach",
    "voided",
]


def attempts_rows(db: Session, view: Overview) -> Iterable[list[Any]]:
    """Every attempt of each wall's current period (voided ones too, marked), wall by wall in the page's order."""
    yield ATTEMPTS_COLUMNS
    current = {wall.board_id: wall for wall in view.walls if wall.period is not None}
    voided = {
        (board_id, payload.get("attempt_id"))
        for board_id, payload in db.execute(
            select(Event.board_id, Event.payload).where(Event.type == str(EventType.ATTEMPT_VOIDED))
        )
    }
    confirmed = db.execute(
        select(Event.board_id, Event.payload)
        .join(Wall, (Wall.board_id == Event.board_id) & (Wall.period_id == Event.period_id))
        .where(Event.type == str(EventType.ATTEMPT_CONFIRMED))
        .order_by(Event.board_id, Event.seq)
    )
    rows: dict[str, list[list[Any]]] = {board_id: [] for board_id in current}
    for board_id, payload in confirmed:
        if board_id not in current:
            continue  # its period has ended: not a current one
        person, coach = payload.get("person") or {}, payload.get("coach") or {}
        attempt_id = payload.get("attempt_id")
        rows[board_id].append(
            [
                board_id,
                current[board_id].name,
                payload.get("period_id"),
                attempt_id,
                payload.get("seq"),
                payload.get("at"),
                person.get("id"),
                person.get("name"),
                coach.get("name"),
                "yes" if (board_id, attempt_id) in voided else "no",
            ]
        )
    for wall in current.values():
        yield from rows[wall.board_id]
