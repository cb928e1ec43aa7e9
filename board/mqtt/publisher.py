"""What the wall tells the broker: events from the outbox, the retained state, discovery.

The outbox is the one queue that survives outages and restarts: the publisher
keeps a small window of its events in flight, in seq order, and marks them sent
once the broker's PUBACKs arrive, several in one transaction: on a Pi's SD card
every commit is an fsync. A crash forgets only marks not yet written, and the
next run sends those events again; consumers drop repeats by seq.

The service calls `on_event` on its own thread once the event is committed. When
it is the very next event of an open session (the usual case on a live wall) it
is handed to paho right there, as the outbox would give it: waking the publisher
thread for it cost a thread switch, a query and, on a loaded 2-core machine, tens
of milliseconds. Anything else (a backlog, a session not yet open, a full
window, events another process wrote) the publisher thread takes from the
outbox. `on_snapshot` only notes the state and wakes the thread.

Every session opens with availability online (the link), then the retained
state, then the outbox, so a watcher sees the wall as it is before any backlog.
Only paho's re-sends of events already in flight when the connection dropped
come earlier, right after availability: they must precede newer events.
"""

import logging
import queue
import threading
import time
from collections.abc import Collection
from typing import Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from board.core.events import WallEvent
from board.core.snapshot import Snapshot
from board.mqtt.discovery import HomeAssistantDevice, status_topic
from board.mqtt.link import MqttLink
from board.mqtt.state import snapshot_payload

log = logging.getLogger(__name__)

# Events in flight at once. paho re-sends them all on reconnect and a broker may
# refuse more than its receive maximum (Mosquitto: 20), so keep well below it.
WINDOW = 10
# Acknowledged events are marked sent in one transaction once this many have
# gathered, or once the first of them has waited this long (seconds).
ACK_BATCH = 50
ACK_DELAY = 0.25


class Outbox(Protocol):
    """Events recorded but not yet acknowledged by the broker (store.repository.Store)."""

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        """The oldest unacknowledged events after seq `after`, in seq order."""
        ...

    def mark_sent(self, seqs: Collection[int]) -> None:
        """Forget these acknowledged events, all at once."""
        ...


class MqttPublisher:
    """A BoardListener that publishes on its own thread."""

    def __init__(
        self,
        link: MqttLink,
        outbox: Outbox,
        home_assistant: HomeAssistantDevice,
        *,
        poll_interval: float = 1.0,
        ack_batch: int = ACK_BATCH,
        ack_delay: float = ACK_DELAY,
    ):
        self.link = link
        self.outbox = outbox
        self.home_assistant = home_assistant
        # Also picks up events written by another process (the CLI) without on_event.
        self.poll_interval = poll_interval
        self.ack_batch = ack_batch
        self.ack_delay = ack_delay
        self._snapshot: Snapshot | None = None
        self._published_version: int | None = None
        self._session_started = threading.Event()
        self._discovery_due = threading.Event()
        self._earlier_configs: queue.SimpleQueue[str] = queue.SimpleQueue()  # retained, to be removed
        self._acks: queue.SimpleQueue[tuple[int, ReasonCode]] = queue.SimpleQueue()
        # What was handed to paho; changed under _handing (the service thread hands over too).
        self._handing = threading.Lock()
        self._in_flight: dict[int, int] = {}  # mid -> seq
        self._handed_through = 0  # highest seq handed to paho by this process
        self._open_session: int | None = None  # the link session whose state and backlog went out
        self._acknowledged: list[int] = []  # seqs PUBACKed, not yet marked sent in the outbox
        self._marks_due_at = 0.0  # monotonic time by which _acknowledged must be written
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        link.when_ready(self._session_ready)
        link.when_acked(self._acked)
        if link.config.discovery:
            link.route(status_topic(link.config), self._home_assistant_status)
        link.route(home_assistant.earlier_configs, self._earlier_config)

    # -- BoardListener (service thread) --------------------------------------------------------

    def on_event(self, event: WallEvent) -> None:
        """Hand a committed event to paho if it is next in line, else leave it to the publisher thread."""
        if not self._hand_over_next(event):
            self._wake.set()

    def _hand_over_next(self, event: WallEvent) -> bool:
        # Never wait for the publisher thread: while it holds the lock it is handing over itself.
        if not self._handing.acquire(blocking=False):
            return False
        try:
            if not (self.link.ready and self._open_session == self.link.session):
                return False
            if event.seq != self._handed_through + 1 or len(self._in_flight) >= WINDOW:
                return False
            return self._hand_over(event)
        finally:
            self._handing.release()

    def on_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._wake.set()

    # -- network thread: hand over only -----------------------------------------------------

    def _session_ready(self) -> None:
        self._session_started.set()
        self._discovery_due.set()
        self._wake.set()

    def _acked(self, mid: int, reason: ReasonCode) -> None:
        self._acks.put((mid, reason))
        self._wake.set()

    def _home_assistant_status(self, message: mqtt.MQTTMessage) -> None:
        if message.payload == b"online":
            self._discovery_due.set()
            self._wake.set()

    def _earlier_config(self, message: mqtt.MQTTMessage) -> None:
        # The broker hands retained messages over right after the subscription, before it
        # acknowledges the publish that makes the session ready: they are known by then.
        if message.retain and message.payload:
            self._earlier_configs.put(message.topic)
            self._discovery_due.set()
            self._wake.set()

    # -- the publisher thread -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._seconds_until_next_step())
            self._wake.clear()
            try:
                self.step()
            except Exception:
                # A locked or failing database must not end publishing: retry next time.
                log.exception("publishing to MQTT failed; retrying")
        try:
            self._collect_acks()
            self._mark_acknowledged_sent(force=True)  # so a clean stop re-sends nothing
        except Exception:
            log.exception("could not mark acknowledged events sent; the next start sends them again")

    def _seconds_until_next_step(self) -> float:
        if not self._acknowledged:
            return self.poll_interval
        return min(self.poll_interval, max(0.0, self._marks_due_at - time.monotonic()))

    def step(self) -> None:
        self._collect_acks()
        if self.link.ready:
            self._publish_due()
        # After publishing: a mark is an fsync, and the events must not wait for it.
        self._mark_acknowledged_sent()

    def _publish_due(self) -> None:
        if self._discovery_due.is_set():
            self._discovery_due.clear()
            self._publish_discovery()
        session = self.link.session
        if self._session_started.is_set():
            self._session_started.clear()
            self._open_session = None
            # Right after availability and before any backlog of events: the broker may have
            # lost the retained state, and a watcher should see the wall as it is now first.
            self._published_version = None
            self._publish_state()
        with self._handing:
            if self._drain_outbox() and self._open_session is None:
                self._open_session = session  # from now on, the next event goes out from on_event
        self._publish_state()

    def _collect_acks(self) -> None:
        while True:
            try:
                mid, reason = self._acks.get_nowait()
            except queue.Empty:
                break
            with self._handing:
                seq = self._in_flight.pop(mid, None)
            if seq is None:
                continue  # state, a response, discovery
            if reason.is_failure:
                # The broker refused it (ACL). Retrying cannot change that and would
                # hold back every later event, so count it as delivered, loudly.
                log.error("broker refused event %s: %s; check the ACL of %s", seq, reason, self.link.base)
            if not self._acknowledged:
                self._marks_due_at = time.monotonic() + self.ack_delay
            self._acknowledged.append(seq)

    def _mark_acknowledged_sent(self, force: bool = False) -> None:
        """Write the gathered acknowledgements once there are enough of them or they are due."""
        if not self._acknowledged:
            return
        if force or len(self._acknowledged) >= self.ack_batch or time.monotonic() >= self._marks_due_at:
            self._marks_due_at = time.monotonic() + self.ack_delay  # when a failed write is tried again
            self.outbox.mark_sent(self._acknowledged)
            self._acknowledged = []

    def _drain_outbox(self) -> bool:
        """Hand over what the outbox holds after the last event handed over, as the window allows
        (under _handing); True when all of it went."""
        room = WINDOW - len(self._in_flight)
        if room <= 0:
            return False
        # Older events are in flight or acknowledged (if not yet marked sent): start after them.
        pending = self.outbox.pending_outbox(room, after=self._handed_through)
        for event in pending:
            if not self._hand_over(event):
                return False  # disconnected: the next session carries on from here
        return len(pending) < room

    def _hand_over(self, event: WallEvent) -> bool:
        """Publish one event (under _handing); False when not connected."""
        mid = self.link.publish(f"{self.link.base}/event/{event.type}", event.as_payload())
        if mid is None:
            return False
        self._in_flight[mid] = event.seq
        self._handed_through = event.seq
        return True

    def _publish_state(self) -> None:
        snapshot = self._snapshot
        if snapshot is None or snapshot.version == self._published_version:
            return
        if self.link.publish(f"{self.link.base}/state", snapshot_payload(snapshot), retain=True) is not None:
            self._published_version = snapshot.version

    def _publish_discovery(self) -> None:
        # An empty retained config removes what it announced from Home Assistant: the sensors
        # of an earlier version (before the device config that takes over their entities
        # arrives), and the device when discovery is off.
        while True:
            try:
                topic = self._earlier_configs.get_nowait()
            except queue.Empty:
                break
            self.link.publish(topic, b"", retain=True)
        if self.link.config.discovery:
            self.link.publish(self.home_assistant.topic, self.home_assistant.payload(), retain=True)
        else:
            self.link.publish(self.home_assistant.topic, b"", retain=True)
