"""`wallboard fleet bench` measures and prints JSON (the figures themselves are not asserted)."""

import json

import pytest

from tests.app.test_cli import wallboard

pytestmark = pytest.mark.fleet  # no date in it: make test runs it, test-dates skips it


def test_fleet_bench_gets_every_simulated_event_into_postgresql_and_prints_the_figures(tmp_path):
    out = tmp_path / "fleet-bench.json"
    # The dashboard's part (--dashboard-events) has its own test: tests/fleet/test_dashboard_bench.py.
    result = wallboard(
        "fleet", "bench", "--walls", "4", "--people", "5", "--day-seconds", "2", "--burst-every", "1",
        "--burst-walls", "1", "--collectors", "2", "--dashboard-events", "0", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert json.loads(out.read_text()) == data
    assert data["machine"]["cores"] >= 1 and data["walls"] == 4 and data["people_per_wall"] == 5
    run = data["collectors_2"]
    assert run["morning"]["events"] == 4 * (1 + 2 * 5)  # a period, five people added, five cards hung, per wall
    assert run["day"]["events"] >= 5  # at least one coach round of five
    for phase in ("morning", "day"):
        assert 0 < run[phase]["lag_ms_p50"] <= run[phase]["lag_ms_p99"] <= run[phase]["lag_ms_max"]


def test_fleet_bench_refuses_impossible_settings_and_starts_nothing(tmp_path):
    result = wallboard("fleet", "bench", "--walls", "2", "--burst-walls", "3", cwd=tmp_path, check=False)
    assert result.returncode == 2 and "--burst-walls" in result.stderr
    result = wallboard("fleet", "bench", "--collectors", "one", cwd=tmp_path, check=False)
    assert result.returncode == 2 and "--collectors" in result.stderr
