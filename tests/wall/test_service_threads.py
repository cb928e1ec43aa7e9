"""The service on its own threads with the real clock, as `wallboard run` uses it."""

import queue
import signal
import subprocess
import threading
import time

from board.core.clock import SystemClock
from board.core.events import EventType
from board.wall.service import WallService
from tests.app.test_cli import WALLBOARD
from tests.harness import AMSTERDAM, SANNE, Wall


class Collector:
    """The events a running wall records, without its period bookkeeping.

    On the real clock a period may start at any moment of a test (CI runs the suite
    a few seconds before Monday 00:00), so `period_started` can come before the
    event a test waits for.
    """

    def __init__(self):
        self.events = queue.Queue()

    def on_event(self, event):
        if event.type is not EventType.PERIOD_STARTED:
            self.events.put(event)

    def on_snapshot(self, snapshot):
        pass

    def next(self, timeout=5.0):
        return self.events.get(timeout=timeout)


def wall_set_up_now(directory):
    """A harness wall whose data is stamped at the real clock's now, for a service on that clock."""
    return Wall(directory, start=SystemClock(AMSTERDAM).now())


class Exploding:
    def on_event(self, event):
        raise RuntimeError("the screen fell off the wall")

    def on_snapshot(self, snapshot):
        raise RuntimeError("still broken")


def test_a_card_on_a_running_wall_is_recorded_within_moments_and_a_broken_listener_does_no_harm(tmp_path):
    harness = wall_set_up_now(tmp_path)
    harness.add_people()
    harness.close()
    collector = Collector()
    service = WallService(
        harness.config, harness.store, harness.readers, SystemClock(harness.config.tz), [Exploding(), collector]
    )
    service.start()
    try:
        harness.readers["A3"].set_tags([SANNE])
        event = collector.next()
        assert (event.type, event.slot_id) == (EventType.CARD_PLACED, "A3")
        person_id = service.call(lambda: service.add_person("Noah", card="04BB0000000001"))
        assert collector.next().type is EventType.PERSON_ADDED
        assert service.snapshot().slot("A3").person.name == "Sanne" and person_id > 0
    finally:
        service.stop()
        service.stop()  # stopping twice is harmless
        harness.store.close()


def test_a_person_added_from_the_cli_while_the_wall_runs_is_recognised(tmp_path):
    harness = wall_set_up_now(tmp_path)
    harness.close()
    collector = Collector()
    service = WallService(harness.config, harness.store, harness.readers, SystemClock(harness.config.tz), [collector])
    service.start()
    try:
        subprocess.run(
            [WALLBOARD, "--config", str(harness.config_path), "person", "add", "Lotte", "--card", "04CC0000000001"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 10
        while "04CC0000000001" not in service.directory.cards and time.monotonic() < deadline:
            time.sleep(0.1)
        harness.readers["B1"].set_tags(["04CC0000000001"])
        event = collector.next()
        assert event.type is EventType.CARD_PLACED and event.details["person_name"] == "Lotte"
    finally:
        service.stop()
        harness.store.close()


def test_wallboard_run_stops_cleanly_on_sigterm(tmp_path):
    subprocess.run([WALLBOARD, "init"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    process = subprocess.Popen(
        [WALLBOARD, "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "draait" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        assert "draait" in line
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()


def test_marks_of_events_the_broker_acknowledged_wait_their_turn_on_the_service_thread(tmp_path):
    harness = wall_set_up_now(tmp_path)
    harness.add_people()
    harness.close()
    service = WallService(harness.config, harness.store, harness.readers, SystemClock(harness.config.tz))
    acknowledged = [event.seq for event in service.pending_outbox(100)]
    service.start()
    busy, go_on = threading.Event(), threading.Event()
    service.submit(lambda: (busy.set(), go_on.wait(10)))
    marking = threading.Thread(target=service.mark_sent, args=(acknowledged,))
    try:
        assert busy.wait(5)
        marking.start()
        marking.join(0.3)
        assert marking.is_alive() and harness.store.outbox_size() == len(acknowledged)  # not written beside it
        go_on.set()
        marking.join(5)
        assert harness.store.outbox_size() == 0
    finally:
        go_on.set()
        service.stop()
