"""The store: a real SQLite file that survives restarts, with the log as the truth."""

import sqlite3
from pathlib import Path

from board.core.events import EventType
from store import migrate
from store.repository import Store
from tests.harness import MO_BADGE, SANNE, Wall


def test_the_database_runs_in_wal_mode_with_full_sync_and_foreign_keys(wall):
    with wall.store.connections.connection() as connection:
        pragma = lambda name: connection.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000


def test_every_recorded_event_is_queued_in_the_outbox_in_the_same_transaction(wall):
    wall.show("A1", SANNE)
    with wall.store.connections.transaction(write=False) as connection:
        events = [seq for (seq,) in connection.execute("SELECT seq FROM events ORDER BY seq")]
        queued = [seq for (seq,) in connection.execute("SELECT seq FROM outbox ORDER BY seq")]
    assert events and queued == events
    assert [e.seq for e in wall.store.pending_outbox(1000)] == events


def test_events_acknowledged_by_the_broker_leave_the_outbox_together(wall):
    wall.show("A1", SANNE)
    queued = [e.seq for e in wall.store.pending_outbox(1000)]
    assert len(queued) >= 3
    wall.store.mark_sent(queued[:2])
    assert [e.seq for e in wall.store.pending_outbox(1000)] == queued[2:]


def test_the_outbox_lists_what_follows_the_events_already_handed_to_the_broker(wall):
    wall.show("A1", SANNE)
    queued = [e.seq for e in wall.store.pending_outbox(1000)]
    assert [e.seq for e in wall.store.pending_outbox(2, after=queued[0])] == queued[1:3]


def test_tag_uids_are_stored_normalised_whatever_form_they_arrive_in(wall):
    wall.service.add_person("Noah", card="04:bb:00:00:00:00:09")
    with wall.store.connections.connection() as connection:
        assert connection.execute("SELECT 1 FROM cards WHERE uid = '04BB0000000009'").fetchone()


def test_restarting_the_service_on_the_same_file_loses_nothing(tmp_path):
    wall = Wall(tmp_path)
    people = wall.add_people()
    wall.show("A1", SANNE)
    wall.show("A1")
    wall.show("B3", SANNE)
    wall.tap("B3", MO_BADGE)
    before = wall.service.snapshot()
    seqs = [e.seq for e in wall.store.events_since(0, 10_000)]
    wall.close()

    again = Wall(tmp_path)
    again.readers["B3"].set_tags([SANNE])  # the card is still on the wall
    after = again.service.snapshot()
    assert again.wait(5) == []
    assert [e.seq for e in again.store.events_since(0, 10_000)] == seqs
    assert after.slot("B3").person.id == people["Sanne"]
    assert [lv.slots for lv in after.levels] == [lv.slots for lv in before.levels]
    assert after.period.count == before.period.count == 1
    assert after.recent_attempts == before.recent_attempts
    assert after.moved_up == ("Sanne",)
    assert after.slot("B3").moved_at == before.slot("B3").moved_at is not None
    again.close()


def test_a_card_taken_off_while_the_service_was_down_is_noticed_at_start(tmp_path):
    wall = Wall(tmp_path)
    wall.add_people()
    wall.show("A1", SANNE)
    wall.close()
    again = Wall(tmp_path)  # A1's reader now sees nothing
    assert [e.type for e in again.wait(30)] == [EventType.CARD_OFF_WALL]
    again.close()


def test_positions_rebuilt_from_the_event_log_match_the_live_ones(wall):
    from tests.harness import DAAN

    wall.show("A1", SANNE)
    wall.show("A2", DAAN)
    wall.show("A1")
    wall.show("C4", SANNE)
    wall.show("A2")
    wall.wait(20)
    live = {(p, s) for p, (s, _at) in wall.service.state.positions.items()}
    with wall.store.connections.transaction(write=True) as connection:
        connection.execute("UPDATE positions SET slot_id = 'A4'")  # corrupt the derived table
    assert wall.store.rebuild_positions() == 1
    rebuilt = set(wall.store.positions().items())
    assert rebuilt == live == {(wall.people["Sanne"], "C4")}


def test_a_new_database_is_migrated_to_the_newest_schema_and_only_once(wall):
    assert wall.store.revision() == migrate.head_revision()
    assert migrate.upgrade(wall.store.connections) is False


def test_the_event_log_is_plain_sqlite_readable_by_any_tool(wall):
    wall.show("A1", SANNE)
    path = str(wall.config.database_path)
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT type FROM events WHERE type = 'card_placed'").fetchall()
    assert rows == [("card_placed",)]


def test_a_card_corrected_off_the_wall_keeps_its_last_slot_across_a_restart(tmp_path):
    wall = Wall(tmp_path)
    people = wall.add_people()
    wall.show("B2", SANNE)
    wall.service.correct_move(people["Sanne"], None, "card fell behind the radiator")
    wall.readers["B2"].set_tags([])
    wall.close()
    again = Wall(tmp_path)
    [placed] = again.show("C1", SANNE)
    assert placed.type is EventType.CARD_PLACED
    assert (placed.details["last_slot"], placed.details["level_change"]) == ("B2", 1)
    again.close()


def test_a_start_with_an_unchanged_layout_writes_nothing(wall):
    """The levels and slots are compared with the config, not written again at every start."""
    path = str(wall.config.database_path)
    files = (Path(path), Path(path + "-wal"))
    before = [file.stat().st_mtime_ns for file in files]
    Store(wall.config).open().close()
    assert [file.stat().st_mtime_ns for file in files] == before


def test_a_changed_layout_is_synced_and_slots_gone_from_the_config_stay_inactive(tmp_path):
    from tests.harness import SMALL_WALL

    Wall(tmp_path).close()
    changed = SMALL_WALL.replace(
        'name = "Top"\nslots = ["C1", "C2", "C3", "C4"]', 'name = "Summit"\nslots = ["C1", "C5"]'
    )
    (tmp_path / "wallboard.toml").write_text(changed, encoding="utf-8")
    wall = Wall(tmp_path)
    try:
        with wall.store.connections.connection() as connection:
            level = connection.execute("SELECT name, position, active FROM levels WHERE id = 'C'").fetchone()
            slots = dict(connection.execute("SELECT id, active FROM slots WHERE level_id = 'C'"))
        assert tuple(level) == ("Summit", 2, 1)
        assert slots == {"C1": 1, "C2": 0, "C3": 0, "C4": 0, "C5": 1}
    finally:
        wall.close()
