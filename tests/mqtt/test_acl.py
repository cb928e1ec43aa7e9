"""The deploy ACL, checked on a real broker: who may publish requests, who only reads."""

BASE = "wallboard/wall-1"


def test_an_admin_request_reaches_the_board(connect):
    board = connect("wallboard").subscribe(f"{BASE}/request/#")
    assert not connect("admin").publish(f"{BASE}/request/health", {}).is_failure
    assert board.wait_for(f"{BASE}/request/health").json() == {}


def test_a_viewer_cannot_send_requests_and_nothing_happens(connect):
    board = connect("wallboard").subscribe(f"{BASE}/request/#")
    reason = connect("viewer").publish(f"{BASE}/request/person/archive", {"id": 1})
    assert reason.value == 135  # MQTT 5 "not authorized"; a 3.1.1 client would hear nothing at all
    assert board.nothing_within(0.3)


def test_a_viewer_reads_state_and_events_but_not_requests(connect):
    viewer = connect("viewer").subscribe(f"{BASE}/#")
    board = connect("wallboard")
    board.publish(f"{BASE}/state", {"version": 1}, retain=True)
    board.publish(f"{BASE}/event/card_placed", {"seq": 1})
    connect("admin").publish(f"{BASE}/request/health", {})
    assert [viewer.next().topic, viewer.next().topic] == [f"{BASE}/state", f"{BASE}/event/card_placed"]
    assert viewer.nothing_within(0.3)


def test_the_board_cannot_send_itself_requests_nor_others_fake_events(connect):
    admin = connect("admin").subscribe(f"{BASE}/#")
    assert connect("wallboard").publish(f"{BASE}/request/period/close", {}).value == 135
    assert connect("admin").publish(f"{BASE}/event/attempt_confirmed", {"seq": 9}).value == 135
    assert admin.nothing_within(0.3)

