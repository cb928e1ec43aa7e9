"""`wallboard bench` measures and prints JSON (figures themselves are not asserted)."""

import json

from tests.app.test_cli import wallboard


def test_bench_prints_measured_figures_as_json(tmp_path):
    out = tmp_path / "bench.json"
    result = wallboard(
        "bench",
        "--log-size",
        "5000",
        "--events",
        "100",
        "--display-idle",
        "0.5",
        "--reader-polls",
        "20",
        "--mqtt-moves",
        "50",
        "--harvest-log-size",
        "2000",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    data = json.loads(result.stdout)
    assert json.loads(out.read_text()) == data
    assert data["rules_and_store"]["sensor_events"] == 100
    assert data["rules_and_store"]["recorded_events"] > 0
    assert data["thermometer"]["events_in_log"] == 5000
    thermometer = data["thermometer"]
    # 1 000 attempts, about every 10th voided; the counter says what counting the rows says
    assert 880 < thermometer["attempts_in_period"] == thermometer["attempts_counted_row_by_row"] < 920
    assert thermometer["thermometer_query_ms_median"] > 0
    assert thermometer["thermometer_query_plan"] == ["SEARCH periods USING INTEGER PRIMARY KEY (rowid=?)"]
    assert 0 < thermometer["state_load_at_start_ms"] < thermometer["start_ms"]
    assert data["harvest"]["events_in_log"] == 2000 and data["harvest"]["export_attempts_rows"] == 400
    assert data["display"]["photos"] == 48 and data["display"]["idle_frames_drawn"] == 0
    assert data["memory"]["screen"] == "1920x1080" and 0 < data["memory"]["rss_mb"] <= data["memory"]["peak_rss_mb"]
    assert data["readers"]["polls_per_share"] == 20
    assert set(data["readers"]["per_poll"]) == {"rc522", "mfrc522", "mfrc522_tutorial"}
    assert set(data["readers"]["sweep_24_slots"]) == {"1MHz", "4MHz", "8MHz"}
    assert data["mqtt"]["backlog"]["pending_events"] > 50  # 50 moves and what the setup recorded
    assert data["mqtt"]["backlog"]["database_commits"] > 0
    assert data["mqtt"]["requests"]["answered_ok"] == 50  # a client that waits is never told the wall is busy
    assert data["mqtt"]["card_to_subscriber"]["moves"] == 50
    assert (
        0 < data["mqtt"]["card_to_subscriber"]["latency_ms_p50"] <= data["mqtt"]["card_to_subscriber"]["latency_ms_p99"]
    )
    stages = data["mqtt"]["card_to_subscriber"]["stages_ms"]  # where a move's time went
    assert set(stages) == {"placed_to_recorded", "recorded_to_committed", "committed_to_received"}
    assert all(0 < stage["p50"] <= stage["p95"] <= stage["p99"] for stage in stages.values())
    on_screen = data["mqtt"]["card_to_subscriber"]["card_to_screen_ms"]
    assert stages["placed_to_recorded"]["p50"] < on_screen["p50"] <= on_screen["p99"]  # drawn after it was recorded
