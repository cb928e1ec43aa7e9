"""A reader that fails is offline on the board, never 'all its cards removed'."""

from board.core.events import EventType
from board.core.snapshot import SlotStatus
from tests.harness import SANNE, types


def test_a_reader_that_faults_does_not_remove_its_cards(wall):
    wall.show("B2", SANNE)
    wall.readers["B2"].set_fault("chip does not answer")
    events = wall.wait(120)
    assert types(events) == [EventType.READER_OFFLINE]
    view = wall.service.snapshot().slot("B2")
    assert view.status is SlotStatus.OFFLINE
    assert view.person is not None and view.person.name == "Sanne"
    assert wall.slot_of(wall.people["Sanne"]) == "B2"


def test_a_reader_that_recovers_reports_online_and_its_card_is_still_there(wall):
    wall.show("B2", SANNE)
    wall.readers["B2"].set_fault("garbage on MISO")
    wall.wait(5)
    wall.readers["B2"].set_fault(None)
    events = wall.wait(70)
    assert types(events) == [EventType.READER_ONLINE]
    assert wall.service.snapshot().slot("B2").status is SlotStatus.OCCUPIED


def test_a_card_lifted_while_its_reader_was_offline_is_noticed_when_it_returns(wall):
    wall.show("B2", SANNE)
    wall.readers["B2"].set_fault("unplugged")
    wall.wait(2)
    wall.readers["B2"].set_tags([])
    wall.readers["B2"].set_fault(None)
    events = wall.wait(90)
    assert types(events) == [EventType.READER_ONLINE, EventType.CARD_OFF_WALL]
