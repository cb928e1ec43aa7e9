"""The company dashboard in a real headless Chromium (Debian's, driven by Playwright), over PostgreSQL.

Three real walls' events are collected through the ledger, the dashboard is served
by waitress on a free loopback port, and the browser logs in, reads the ranking,
switches to English and leaves screenshots in docs/ (docs/fleet-*.png).
"""

import os
import shutil
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from waitress.server import create_server

from board.core.clock import FakeClock
from board.fleet.dashboard import create_app
from board.fleet.dashboard_config import DashboardConfig, password_hash
from board.fleet.db import open_fleet
from tests.fleet.company import GOAL_PER_PERSON_PER_WEEK, HAND_RANKING, collect, play_company

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
# As root in a container: no sandbox; and no calls home (this machine's network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_or_skip() -> Path:
    """Debian's Chromium; a skip only where it cannot be installed (no root and not there), a failure in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") or os.geteuid() == 0 or shutil.which("sudo"):
        pytest.fail("Debian's chromium is missing: `make system-packages` installs it (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed and this user cannot install it (apt-get install chromium)")


@pytest.fixture
def served(tmp_path, postgres):
    """The dashboard over three collected walls, served on a free loopback port; yields its base URL."""
    engine = open_fleet(postgres.url("browser"))
    now = collect(engine, play_company(tmp_path))
    config = DashboardConfig(
        title="Contactcentrum Utrecht",
        users=[{"name": "ld", "password_hash": password_hash("oogst-2026")}],
        goal_per_person_per_week=GOAL_PER_PERSON_PER_WEEK,
        locations={"Utrecht": ["verkoop", "retentie"], "Zwolle": ["service"]},
    )
    app = create_app(engine, config, FakeClock(now, ZoneInfo("Europe/Amsterdam")))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)
    engine.dispose()


def test_l_and_d_logs_in_reads_the_ranking_and_switches_to_english(served):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="nl-NL")
            page.goto(served + "/ranking")
            assert page.url.startswith(served + "/login"), "without a login: the login page"
            page.screenshot(path=DOCS / "fleet-login.png")

            page.fill("input[name=user]", "ld")
            page.fill("input[name=password]", "verkeerd")
            page.click("button[type=submit]")
            assert page.get_by_role("alert").inner_text() == "Gebruiker of wachtwoord klopt niet."
            page.fill("input[name=user]", "ld")
            page.fill("input[name=password]", "oogst-2026")
            page.click("button[type=submit]")
            page.wait_for_url(served + "/ranking")

            assert page.locator("h1").inner_text() == "Ranglijst"
            rows = page.locator("table.ranking tbody tr")
            shown = [
                (int(rows.nth(i).locator(".place").inner_text()), rows.nth(i).get_attribute("data-board"))
                for i in range(rows.count())
            ]
            assert shown == [(place, board_id) for place, board_id, *_ in HAND_RANKING]
            first = rows.nth(0)
            assert (
                first.locator(".per-person").inner_text() == "2,00" and first.locator(".score").inner_text() == "100 %"
            )
            page.screenshot(path=DOCS / "fleet-ranking.png", full_page=True)

            page.get_by_role("link", name="English").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Ranking"
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.locator(".per-person").first.inner_text() == "2.00"
            page.screenshot(path=DOCS / "fleet-ranking-en.png", full_page=True)

            page.get_by_role("link", name="Nederlands").click()
            page.get_by_role("link", name="Muren").click()
            page.wait_for_load_state()
            assert page.locator("#wall-retentie .count").inner_text() == "6"
            assert "Noor" in page.locator("#wall-retentie .moved-up").inner_text()
            page.screenshot(path=DOCS / "fleet-walls.png", full_page=True)
            page.get_by_role("link", name="Prijzen").click()
            page.wait_for_load_state()
            page.screenshot(path=DOCS / "fleet-awards.png", full_page=True)
            page.get_by_role("link", name="Oogst per locatie").click()
            page.wait_for_load_state()
            assert page.get_by_role("link", name="Oogstrapport (PDF)").count() == 2
            page.screenshot(path=DOCS / "fleet-harvest.png", full_page=True)
        finally:
            browser.close()
