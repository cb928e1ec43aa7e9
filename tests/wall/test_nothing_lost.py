"""Taps and cards are never lost to admin work done meanwhile, nor to a write that fails."""

import pytest

from board.core.errors import CommandError
from board.core.events import EventType
from board.core.settings import PAD
from tests.harness import DAAN, MO_BADGE, SANNE, types

NEW_CARD = "04BB0000000009"


@pytest.mark.parametrize("name", ["\u00ad", "\u200b", " \u200d "])
def test_a_person_or_coach_named_without_a_visible_character_is_refused(wall, name):
    with pytest.raises(CommandError, match="visible"):
        wall.service.add_person(name)
    with pytest.raises(CommandError, match="visible"):
        wall.service.add_coach(name, "C0AC0009")
    with pytest.raises(CommandError, match="visible"):
        wall.service.update_person(wall.people["Sanne"], name=name)


def test_a_message_without_a_visible_character_is_refused(wall):
    with pytest.raises(CommandError, match="visible"):
        wall.service.show_message("\u200b", 30)
    assert wall.service.snapshot().message is None


def test_removing_a_coach_closes_their_pad_window_and_the_next_tap_is_answered(wall):
    wall.tap(PAD, MO_BADGE)
    mo = wall.service.directory.coach_by_badge(MO_BADGE)
    assert wall.service.snapshot().pad_window is not None
    wall.service.remove_coach(mo.id)
    assert wall.service.snapshot().pad_window is None
    tapped = wall.tap(PAD, SANNE)
    assert types(tapped) == [EventType.JOURNEY_SHOWN]  # as with no window open: her own journey


def test_a_pad_window_of_a_coach_removed_by_another_process_confirms_nothing(wall):
    wall.tap(PAD, MO_BADGE)
    mo = wall.service.directory.coach_by_badge(MO_BADGE)
    with wall.store.write() as writer:  # the CLI, next to the running service
        writer.remove_coach(mo, wall.clock.now())
    wall.service._reload()
    tapped = wall.tap(PAD, SANNE)
    assert types(tapped) == [EventType.JOURNEY_SHOWN]  # as with no window open: her own journey


def test_archiving_a_person_cancels_their_waiting_card_enrollment(wall):
    daan = wall.people["Daan"]
    waiting = wall.service.enroll_card(daan, timeout=60)
    wall.service.archive_person(daan)
    with pytest.raises(CommandError, match="archived") as cancelled:
        waiting.result(0)
    assert cancelled.value.code == "conflict"
    seen = wall.show("A1", NEW_CARD)
    assert types(seen) == [EventType.UNKNOWN_TAG]
    assert NEW_CARD not in wall.service.directory.cards


def test_an_enrollment_for_a_person_archived_by_another_process_hands_out_no_card(wall):
    daan = wall.people["Daan"]
    waiting = wall.service.enroll_card(daan, timeout=60)
    with wall.store.write() as writer:  # the CLI, next to the running service
        writer.archive_person(wall.service.person(daan), wall.clock.now())
    wall.service._reload()
    wall.show("A1", NEW_CARD)
    with pytest.raises(CommandError, match="archived"):
        waiting.result(0)
    assert NEW_CARD not in wall.service.directory.cards


def health(wall) -> dict:
    from board.mqtt.api import HANDLERS
    from board.mqtt.commands import validate

    return HANDLERS["health"](wall.service, validate("health", {}))


class FullDisk:
    """The database file may not grow: SQLite answers "database or disk is full", as on a full SD card.

    The store's one pooled connection gets a page limit; the service (one thread here) writes through it.
    """

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        self.store.close()
        with self.store.connections.connection() as connection:
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count={pages}")
        return self

    def __exit__(self, *exc_info):
        self.store.close()  # the next connection is a fresh one, without the limit


def test_a_card_placed_while_the_disk_is_full_is_recorded_once_there_is_room_again(wall, caplog):
    wall.show("A1", SANNE)
    with FullDisk(wall.store):
        for number in range(1000):  # strangers' tags come and go until the file is full
            wall.show("A2", f"04CC{number:010X}")
            wall.show("A2")
            if wall.service.write_failure is not None:
                break
        wall.show("B4", DAAN)
        assert wall.service.write_failure is not None
        assert wall.service.snapshot().storage_failed
        assert "write to the database failed" in caplog.text
        assert "full" in health(wall)["write_failure"]["error"]
        assert wall.slot_of(wall.people["Daan"]) is None
        wall.wait(5)
    wall.wait(1)
    assert wall.slot_of(wall.people["Daan"]) == "B4"
    assert wall.slot_of(wall.people["Sanne"]) == "A1"  # nothing committed before is lost
    placed = [e for e in wall.store.events_since(0, 1000) if e.type is EventType.CARD_PLACED]
    assert [e.person_id for e in placed].count(wall.people["Daan"]) == 1
    assert wall.service.write_failure is None and not wall.service.snapshot().storage_failed
    assert health(wall)["write_failure"] is None


def test_a_card_handed_out_by_the_service_is_not_silently_reassigned_by_a_cli_that_looked_a_moment_ago(wall, tmp_path):
    from board.wall.service import WallService
    from store.repository import Store

    with Store(wall.config) as cli_store:
        cli = WallService(wall.config, cli_store, {}, wall.clock)  # read the directory a moment ago
        wall.service.assign_card(wall.people["Sanne"], NEW_CARD)  # meanwhile, the running service
        with pytest.raises(CommandError, match="already belongs to Sanne"):
            cli.add_person("Noor", card=NEW_CARD)
        with pytest.raises(CommandError, match="already belongs to Sanne"):
            cli.assign_card(wall.people["Daan"], NEW_CARD)
        with pytest.raises(CommandError, match="card"):
            cli.add_coach("Kees", NEW_CARD)
    assert wall.store.load_directory().card_owner(NEW_CARD).name == "Sanne"
    assert "Noor" not in [person.name for person in wall.store.load_directory().people.values()]


def test_a_badge_registered_meanwhile_is_not_handed_out_as_a_card(wall):
    from board.wall.service import WallService
    from store.repository import Store

    with Store(wall.config) as cli_store:
        cli = WallService(wall.config, cli_store, {}, wall.clock)
        wall.service.add_coach("Kees", NEW_CARD)
        with pytest.raises(CommandError, match="is a coach badge"):
            cli.assign_card(wall.people["Daan"], NEW_CARD)
        with pytest.raises(CommandError, match="already belongs to coach Kees"):
            cli.add_coach("Kees again", NEW_CARD)


def test_a_card_placed_during_a_flood_of_admin_requests_is_handled_before_them(wall):
    import threading

    from sensors.events import TagSeen

    order = []

    class Recorder:
        def on_event(self, event):
            order.append(str(event.type))

        def on_snapshot(self, snapshot):
            pass

    wall.service.listeners.append(Recorder())
    for number in range(200):
        wall.service.submit(lambda number=number: order.append(f"admin {number}"))
    wall.service.put_sensor_event(TagSeen("B1", DAAN))
    loop = threading.Thread(target=wall.service._serve_forever)
    loop.start()
    try:
        wall.service.submit(lambda: None).result(10)
    finally:
        wall.service.stop()
        loop.join(10)
    assert order[0] == "card_placed" and order[1:] == [f"admin {number}" for number in range(200)]
