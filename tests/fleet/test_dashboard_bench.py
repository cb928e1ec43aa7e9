"""The dashboard's part of `wallboard fleet bench`, small: it fills the database and times every page."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from board.fleet.dashboard_bench import PAGES, measure
from board.fleet.db import open_fleet
from board.fleet.models import Event, Wall


def test_the_dashboard_bench_fills_every_wall_and_times_every_page(tmp_path):
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    walls = 3
    results = measure(url, walls=walls, people=6, events=walls * 200, distinct=2)  # the third is a copy

    engine = open_fleet(url)
    with Session(engine) as session:
        per_wall = dict(session.execute(select(Event.board_id, func.count()).group_by(Event.board_id)).all())
        folded = dict(session.execute(select(Wall.board_id, Wall.last_seq)).all())
    engine.dispose()
    assert len(per_wall) == walls and results["events"] == sum(per_wall.values())
    assert all(count == 200 for count in per_wall.values()), per_wall
    assert folded == per_wall, "every wall, copies too, is folded up to its last event"
    assert set(results["pages"]) == {*PAGES, "/harvest/Bench.pdf"}
    for figures in results["pages"].values():
        assert figures["first_ms"] > 0 and figures["again_ms_p50"] > 0 and figures["bytes"] > 0
