"""The company dashboard over a fleet database filled by three real walls, on SQLite and on PostgreSQL.

The walls play on simulated readers (tests/fleet/company.py) and their events
reach the database through the collector's own write path; the pages are read
through Flask's test client (the real browser is in test_dashboard_browser.py).
"""

import csv
import io
import subprocess
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from board.core.clock import FakeClock
from board.core.errors import ConfigError, StoreError
from board.fleet.dashboard import create_app
from board.fleet.dashboard_config import DashboardConfig, load_dashboard_config, new_token, password_hash
from board.fleet.db import fleet_engine, open_fleet
from tests.fleet.company import GOAL_PER_PERSON_PER_WEEK, HAND_RANKING, PLANS, TRICKY_NAME, collect, play_company
from tests.fleet.pages import table_rows, text_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PASSWORD = "oogst-2026"
TOKEN, TOKEN_HASH = new_token()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """The three walls, played once for the module."""
    return play_company(tmp_path_factory.mktemp("walls"))


@pytest.fixture(scope="module")
def config() -> DashboardConfig:
    return DashboardConfig(
        title="Contactcentrum Utrecht",
        users=[{"name": "ld", "password_hash": password_hash(PASSWORD)}],
        token_hashes=[TOKEN_HASH],
        goal_per_person_per_week=GOAL_PER_PERSON_PER_WEEK,
        locations={"Utrecht": ["verkoop", "retentie"], "Zwolle": ["service"]},
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fleet(request, tmp_path_factory, company):
    """The walls' events collected once per backend for the module (the pages only read)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fleet') / 'fleet.db'}"
    else:
        url = request.getfixturevalue("postgres").url("dashboard")
    engine = open_fleet(url)
    now = collect(engine, company)
    yield engine, now
    engine.dispose()


@pytest.fixture
def clock(fleet) -> FakeClock:
    return FakeClock(fleet[1], AMSTERDAM)


@pytest.fixture
def app(fleet, config, clock):
    return create_app(fleet[0], config, clock)


@pytest.fixture
def browser(app):
    """A logged-in visitor with a Dutch browser."""
    client = app.test_client()
    response = client.post("/login", data={"user": "ld", "password": PASSWORD, "next": "/ranking"})
    assert response.status_code == 302 and response.headers["Location"] == "/ranking"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL,nl;q=0.9"
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


def csv_rows(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# -- access ---------------------------------------------------------------------------------


def test_without_a_login_a_page_sends_the_visitor_to_the_login_and_an_export_answers_401(app):
    client = app.test_client()
    response = client.get("/ranking", headers={"Accept": "text/html"})
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/ranking"
    for path in ("/export/ranking.csv", "/export/walls.csv", "/export/attempts.csv", "/harvest/Utrecht.pdf"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "retentie" not in response.get_data(as_text=True)


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_dashboard(app):
    client = app.test_client()
    refused = client.post("/login", data={"user": "ld", "password": "raden"})
    assert refused.status_code == 401 and "Gebruiker of wachtwoord klopt niet." in refused.get_data(as_text=True)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
    assert client.post("/login", data={"user": "ld", "password": PASSWORD}).status_code == 302
    assert "retentie" in page(client, "/")
    client.post("/logout")
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_after_the_login_only_a_path_on_this_site_is_followed(app):
    client = app.test_client()
    response = client.post("/login", data={"user": "ld", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_a_token_from_the_config_opens_pages_and_exports_and_a_wrong_one_does_not(app):
    client = app.test_client()
    assert client.get("/export/ranking.csv", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    walls = client.get(f"/?token={TOKEN}")
    assert walls.status_code == 200
    assert f"/ranking?token={TOKEN}" in walls.get_data(as_text=True), "the screen's links keep its token"
    assert client.get("/export/ranking.csv", headers={"Authorization": "Bearer not-it"}).status_code == 401
    assert client.get("/?token=not-it", headers={"Accept": "text/html"}).status_code == 302
    assert client.get("/").status_code == 401, "a token is not remembered: each request shows it"


# -- the ranking -----------------------------------------------------------------------------


def test_the_ranking_on_the_page_matches_the_hand_computation_and_the_smallest_team_wins(browser):
    rows = table_rows(page(browser, "/ranking"))
    assert list(rows) == [board_id for _place, board_id, *_ in HAND_RANKING]
    for place, board_id, people, attempts, per_person, score in HAND_RANKING:
        cells = rows[board_id]
        assert cells[0] == str(place)
        assert cells[2:5] == [str(people), str(attempts), f"{per_person:.2f}".replace(".", ",")]
        assert cells[6].endswith(f"{round(score * 100)} %")
    most_attempts = max(PLANS, key=lambda plan: plan.attempts)
    smallest = min(PLANS, key=lambda plan: plan.people)
    assert most_attempts.board_id != smallest.board_id
    assert next(iter(rows)) == smallest.board_id


def test_the_ranking_page_states_its_formula(browser):
    html = page(browser, "/ranking")
    assert "score = (pogingen ÷ mensen) ÷ (doel per persoon per week × dagen van de periode ÷ 7)" in html
    assert "doel per persoon per week: 2, voor alle muren hetzelfde" in html


def test_the_ranking_csv_holds_the_same_walls_places_and_figures_as_the_page(browser):
    shown = table_rows(page(browser, "/ranking"))
    exported = csv_rows(browser, "/export/ranking.csv")
    assert [row["board_id"] for row in exported] == list(shown)
    for row in exported:
        cells = shown[row["board_id"]]
        assert [row["place"], row["wall"], row["people"], row["attempts"]] == [cells[0], cells[1], cells[2], cells[3]]
        assert f"{float(row['per_person']):.2f}".replace(".", ",") == cells[4]
        assert cells[6].endswith(f"{round(float(row['score']) * 100)} %")


# -- every wall --------------------------------------------------------------------------------


def test_every_wall_shows_its_thermometer_its_attempts_and_who_moved_up(browser):
    html = page(browser, "/")
    for plan in PLANS:
        card = text_of(html, f"wall-{plan.board_id}")
        assert f"{plan.attempts} van de {plan.goal} pogingen" in card
        if plan.attempts >= plan.goal:
            assert "doel gehaald!" in card
        else:
            assert f"{round(100 * plan.attempts / plan.goal)} %" in card
        assert f"{plan.people} mensen" in card
    retentie = text_of(html, "wall-retentie")
    assert "Omhoog deze periode" in retentie and TRICKY_NAME in retentie and "Noor" in retentie
    assert "nog niemand" in text_of(html, "wall-verkoop")
    assert html.count('class="thermometer"') == len(PLANS)


def test_names_from_the_walls_are_shown_as_text_never_as_markup(browser):
    for path in ("/", "/awards", "/harvest"):
        html = page(browser, path)
        assert "<b>Jansen</b>" not in html, path
        assert "Bo &lt;b&gt;Jansen&lt;/b&gt; &amp; Co" in html, path
    assert "script-src" not in page(browser, "/") and "<script" not in page(browser, "/")


def test_the_walls_csv_and_the_attempts_csv_give_the_figures_of_the_page(browser):
    html = page(browser, "/")
    walls = {row["board_id"]: row for row in csv_rows(browser, "/export/walls.csv")}
    attempts = csv_rows(browser, "/export/attempts.csv")
    assert set(walls) == {plan.board_id for plan in PLANS}
    for plan in PLANS:
        row = walls[plan.board_id]
        assert (int(row["attempts"]), int(row["goal"]), int(row["people"])) == (plan.attempts, plan.goal, plan.people)
        assert f"{row['attempts']} van de {row['goal']} pogingen" in text_of(html, f"wall-{plan.board_id}")
        counted = [a for a in attempts if a["board_id"] == plan.board_id and a["voided"] == "no"]
        assert len(counted) == plan.attempts
    assert walls["retentie"]["moved_up"] == f"{TRICKY_NAME}; Noor"
    assert walls["service"]["online"] == "no" and walls["service"]["quiet"] == "offline"


def test_a_name_that_starts_like_a_formula_is_exported_as_text(browser, fleet):
    from sqlalchemy.orm import Session

    from board.fleet.models import Wall

    def rename(name: str) -> None:
        with Session(fleet[0]) as session, session.begin():
            session.get_one(Wall, "retentie").name = name

    rename("=HYPERLINK(1)")
    try:
        assert csv_rows(browser, "/export/ranking.csv")[0]["wall"] == "'=HYPERLINK(1)"
    finally:
        rename("retentie")


def test_walls_that_went_offline_or_silent_are_listed_as_quiet(browser, clock):
    quiet = text_of(page(browser, "/"), "quiet-title")
    assert quiet == "Stil gevallen"
    html = page(browser, "/")
    assert "service" in html.split('id="quiet-title"')[1].split("</section>")[0]
    assert "offline sinds" in html
    clock.advance(timedelta(hours=25).total_seconds())  # a day without events from anyone
    walls = {row["board_id"]: row["quiet"] for row in csv_rows(browser, "/export/walls.csv")}
    assert walls == {"verkoop": "silent", "retentie": "silent", "service": "offline"}
    assert page(browser, "/").count("geen gebeurtenissen sinds") == 2


# -- awards and harvest --------------------------------------------------------------------------


def test_the_awards_page_shows_what_each_wall_itself_hands_out(browser, company):
    html = page(browser, "/awards")
    for wall in company:
        shown = text_of(html, f"awards-{wall.board_id}")
        assert wall.award_lines, "the wall hands out awards"
        for line in wall.award_lines:
            assert " ".join(line.split()) in shown, (wall.board_id, line)


def test_a_locations_harvest_lists_its_walls_and_its_pdf_has_a_page_per_wall(browser, tmp_path, company):
    html = page(browser, "/harvest")
    utrecht, zwolle = text_of(html, "location-1"), text_of(html, "location-2")
    assert utrecht.startswith("Utrecht") and zwolle.startswith("Zwolle")
    assert "verkoop" in utrecht and "retentie" in utrecht and "service" not in utrecht and "service" in zwolle
    assert "18 van de 30 pogingen · 12 mensen probeerden iets · 0 klommen omhoog" in html
    response = browser.get("/harvest/Utrecht.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "utrecht.pdf"
    pdf.write_bytes(response.data)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    text = pages.stdout.split("\f")
    assert "Oogst · Utrecht" in text[0] and "verkoop" in text[0] and "retentie" in text[0]
    assert "Oogst · muur retentie" in text[1] and "Oogst · muur verkoop" in text[2], "a page per wall, by name"
    retentie = next(wall for wall in company if wall.board_id == "retentie")
    assert "Grootste klimmer" in text[1] and any(line.split(",")[0] in text[1] for line in retentie.award_lines)
    assert browser.get("/harvest/Nergens.pdf").status_code == 404


def test_an_unknown_period_is_refused_with_a_clear_answer(browser):
    response = browser.get("/awards?period=volgende")
    assert response.status_code == 400 and "volgende" in response.get_data(as_text=True)


# -- language ---------------------------------------------------------------------------------------


def test_dutch_by_default_and_english_by_choice_or_by_the_browser(app, browser):
    assert "<h1>Ranglijst</h1>" in page(browser, "/ranking")
    english = page(browser, "/ranking?lang=en")
    assert "<h1>Ranking</h1>" in english and "attempts per person" not in english.lower().split("<h1>")[0]
    assert "score = (attempts ÷ people)" in english
    assert "<h1>Ranking</h1>" in page(browser, "/ranking"), "the choice stays for the visit"

    client = app.test_client()
    client.post("/login", data={"user": "ld", "password": PASSWORD})
    assert "<h1>Ranglijst</h1>" in page(client, "/ranking"), "no Accept-Language: Dutch"
    assert "<h1>Ranking</h1>" in client.get("/ranking", headers={"Accept-Language": "en-GB,en"}).get_data(True)
    awards = client.get("/awards?lang=en").get_data(as_text=True)
    assert "Coach of the period" in awards and "Kees confirmed 6 attempts by 3 people." in awards


# -- config and database --------------------------------------------------------------------------


def test_a_dashboard_nobody_could_log_in_to_is_refused_with_every_problem_named(tmp_path):
    path = tmp_path / "fleet-dashboard.toml"
    path.write_text('title = "Utrecht"\nquiet_hours = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_dashboard_config(path)
    assert "line 2: quiet_hours" in str(refused.value)
    path.write_text('title = "Utrecht"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="nobody could log in"):
        load_dashboard_config(path)
    path.write_text(f'token_hashes = ["{TOKEN_HASH}"]\n[locations]\nUtrecht = ["retentie"]\nZwolle = ["retentie"]\n')
    with pytest.raises(ConfigError, match="walls in two locations: retentie"):
        load_dashboard_config(path)


def test_the_dashboard_refuses_a_database_the_collector_has_not_set_up(tmp_path, config):
    with pytest.raises(StoreError, match="not set up"):
        create_app(fleet_engine(f"sqlite:///{tmp_path / 'empty.db'}"), config)


# -- the command ------------------------------------------------------------------------------------


def test_fleet_serve_answers_with_the_lines_fleet_password_and_fleet_token_printed(tmp_path):
    import time
    import urllib.error
    import urllib.request

    from board.dev.broker import free_port
    from tests.app.test_cli import WALLBOARD, wallboard

    users = subprocess.run(
        [WALLBOARD, "fleet", "password", "ld"], input="geheim\ngeheim\n", capture_output=True, text=True, check=True
    ).stdout
    token_output = wallboard("fleet", "token", cwd=tmp_path).stdout
    token = token_output.split("keep it secret): ")[1].split()[0]
    hash_line = next(line for line in token_output.splitlines() if line.startswith("config line: "))
    config = tmp_path / "fleet-dashboard.toml"
    config.write_text(hash_line.removeprefix("config line: ") + "\n" + users[users.index("[[users]]") :])
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    open_fleet(url).dispose()  # as the collector leaves it
    port = free_port()
    server = subprocess.Popen(
        [WALLBOARD, "fleet", "serve", "--db", url, "--dashboard-config", str(config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                login = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except urllib.error.URLError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        assert login.status == 200 and "Inloggen" in login.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/export/walls.csv", timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {token}"})
        walls = urllib.request.urlopen(request, timeout=5).read().decode()
        assert "Nog geen muren." in walls
    finally:
        server.terminate()
        server.wait(timeout=10)
