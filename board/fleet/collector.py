"""The collector: every wall's events from the company broker into the fleet database, each once, in order.

It subscribes with MQTT 5 shared subscriptions (`$share/<group>/wallboard/+/event/#`),
so the broker hands each event to one collector of the group: start several to share
the load, and when one dies the others carry on. Each message is acknowledged only
after the transaction that stored it has committed; a message the broker hands out
again is a repeat of (board_id, seq) and changes nothing.

A wall's events are folded in seq order (`board.fleet.ledger`). An event that
arrives after a missing one waits, stored; when the gap is still there after
`gap_grace` seconds (another collector of the group may simply be writing the
missing one), the collector asks that wall with `events/get` since the last seq it
has, page by page, on its own response topic. It asks too when a wall comes online
and every `sweep_every` seconds, which catches the last events of a wall that a
dead collector had taken and that nothing has followed since.

`availability` and `state` are retained and a shared subscription gets no
retained messages, so every collector subscribes to those directly.
"""

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from board.core.events import EventType
from board.fleet.ledger import Written, record
from board.fleet.models import Wall
from board.mqtt.config import MqttConfig
from board.mqtt.link import encode

log = logging.getLogger(__name__)

QOS = 1
ROOT = "wallboard"  # the walls' default base topic: wallboard/<board_id>
EVENT_TYPES = frozenset(str(kind) for kind in EventType)
PAGE = 500  # events per events/get answer (a wall allows 1000; 500 stays far below its payload limit)
MAX_BATCH = 1000  # messages written in one transaction
STATE_EVERY = 30.0  # seconds: how often an unchanged wall's `state` is written again


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CollectorStats:
    """What a collector has done since it started (read by the bench and the logs)."""

    messages: int = 0
    events_new: int = 0
    events_repeated: int = 0
    transactions: int = 0
    requests: int = 0
    rejected: int = 0  # messages that were not what a wall publishes


@dataclass(frozen=True)
class _Message:
    mid: int
    qos: int
    kind: str  # event | availability | state | response
    board_id: str
    payload: Any


@dataclass
class _Batch:
    """One transaction's worth of messages, by wall."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    availability: dict[str, bool] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # events/get answers: board -> data
    acks: list[tuple[int, int]] = field(default_factory=list)

    def add(self, message: _Message) -> None:
        self.acks.append((message.mid, message.qos))
        match message.kind:
            case "event":
                self.events.setdefault(message.board_id, []).append(message.payload)
            case "availability":
                self.availability[message.board_id] = message.payload
            case "state":
                self.states[message.board_id] = message.payload
            case "response":
                self.events.setdefault(message.board_id, []).extend(message.payload["events"])
                self.pages[message.board_id] = message.payload


def parse(topic: str, payload: bytes, client_id: str) -> tuple[str, str, Any] | None:
    """(kind, board_id, content) of a message from a wall, or None when it is not one the collector reads.

    Checked here, on arrival, so a batch never fails on what a wall could not have sent.
    """
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != ROOT or not parts[1]:
        return None
    board_id, kind = parts[1], "/".join(parts[2:])
    if not payload:
        return None  # a retained message cleared
    try:
        content = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(content, dict):
        return None
    if kind.startswith("event/"):
        return ("event", board_id, content) if is_event(content, kind.removeprefix("event/")) else None
    if kind == "availability" and content.get("state") in ("online", "offline"):
        return "availability", board_id, content["state"] == "online"
    if kind == "state" and is_layout(content.get("levels")):
        return "state", board_id, content
    if kind == f"response/{client_id}":
        data = content.get("data")
        if content.get("status") == "ok" and isinstance(data, dict) and isinstance(data.get("events"), list):
            events = [event for event in data["events"] if isinstance(event, dict) and is_event(event)]
            return "response", board_id, data | {"events": events}
        log.warning("wall %s refused events/get: %s", board_id, content.get("error"))
    return None


def is_event(content: dict[str, Any], topic_type: str | None = None) -> bool:
    """Whether `content` is an event as `WallEvent.as_payload` makes it (on its own type's topic)."""
    seq, kind, at = content.get("seq"), content.get("type"), content.get("at")
    if not (type(seq) is int and seq > 0 and kind in EVENT_TYPES and (topic_type is None or kind == topic_type)):
        return False
    try:
        aware = isinstance(at, str) and datetime.fromisoformat(at).tzinfo is not None
    except ValueError:
        return False
    named = all(
        content.get(key) is None or (isinstance(content[key], dict) and type(content[key].get("id")) is int)
        for key in ("person", "coach")
    )
    return aware and named and isinstance(content.get("slot"), str | None)


def is_layout(levels: Any) -> bool:
    """Levels as the `state` message has them: each with an id, a name and slots with ids."""
    return isinstance(levels, list) and all(
        isinstance(level, dict)
        and isinstance(level.get("id"), str)
        and isinstance(level.get("name"), str)
        and isinstance(level.get("slots"), list)
        and all(isinstance(slot, dict) and isinstance(slot.get("id"), str) for slot in level["slots"])
        for level in levels
    )


class Collector:
    def __init__(
        self,
        engine: Engine,
        mqtt_config: MqttConfig,
        *,
        group: str = "wallboard-collector",
        gap_grace: float = 2.0,
        sweep_every: float = 300.0,
        session_expiry: int = 300,
        clock: Callable[[], datetime] = _now,
    ):
        self.engine = engine
        self.config = mqtt_config
        self.group = group
        # A stable id keeps the session: a collector restarted within `session_expiry` gets what waited for it.
        self.client_id = mqtt_config.client_id or f"wallboard-collector-{uuid.uuid4().hex[:12]}"
        self.gap_grace = gap_grace
        self.sweep_every = sweep_every
        self.session_expiry = session_expiry
        self.clock = clock
        self.stats = CollectorStats()
        self.connected = threading.Event()
        self._inbox: queue.Queue[_Message | None] = queue.Queue()
        self._asked: dict[str, float] = {}  # board -> monotonic time of its open events/get
        self._catch_up: set[str] = set()  # walls to ask as soon as the writer can
        self._states: dict[str, tuple[str, float]] = {}  # board -> (its layout and language, when written)
        # Walls another collector was folding when this one wrote: fold them, and write what they left, next time.
        self._refold: frozenset[str] = frozenset()
        self._left_states: dict[str, dict[str, Any]] = {}
        self._left_availability: dict[str, bool] = {}
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="fleet-writer", daemon=True)
        self._client = self._new_client()

    # -- running ------------------------------------------------------------------------

    def start(self) -> "Collector":
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry
        self._writer.start()
        self._client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()
        return self

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def stop(self) -> None:
        """Write what has arrived, then disconnect (the session stays for `session_expiry`)."""
        self._client.disconnect()
        self._client.loop_stop()
        self._stopping.set()
        self._inbox.put(None)
        self._writer.join(timeout=30)

    # -- MQTT (paho's network thread: hand over, never wait) ----------------------------

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self.config.secure(client)
        client.reconnect_delay_set(self.config.reconnect_min_delay, self.config.reconnect_max_delay)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.enable_logger(log.getChild("paho"))
        return client

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused the collector: %s", self.config.host, self.config.port, reason)
            return
        shared = f"$share/{self.group}/{ROOT}/+/event/#"
        own = f"{ROOT}/+/response/{self.client_id}"
        options = SubscribeOptions(qos=QOS)
        client.subscribe([(shared, options), (own, options)])
        client.subscribe([(f"{ROOT}/+/availability", options), (f"{ROOT}/+/state", options)])
        log.info(
            "collector %s connected to %s:%s, group %s", self.client_id, self.config.host, self.config.port, self.group
        )
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        if self.connected.is_set():
            log.warning("collector lost the broker (%s); reconnecting", reason)
        self.connected.clear()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        parsed = parse(message.topic, message.payload, self.client_id)
        if parsed is None:
            self.stats.rejected += 1
            if message.qos:
                client.ack(message.mid, message.qos)
            return
        kind, board_id, content = parsed
        self._inbox.put(_Message(message.mid, message.qos, kind, board_id, content))

    # -- the writer thread ----------------------------------------------------------------

    def _write_loop(self) -> None:
        next_check = next_sweep = time.monotonic()
        while True:
            batch, stop = self._take_batch(timeout=0.25)
            if batch.acks or self._refold:
                self._write(batch)
            if stop:
                return
            now = time.monotonic()
            if now >= next_check:
                next_check = now + min(0.5, self.gap_grace)
                self._fill_gaps()
            if now >= next_sweep and self.connected.is_set():
                next_sweep = now + self.sweep_every
                self._sweep()

    def _take_batch(self, timeout: float) -> tuple[_Batch, bool]:
        """What has arrived: waits for the first message only, then takes what is there (up to MAX_BATCH)."""
        batch = _Batch()
        try:
            first = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return batch, False
        if first is None:
            return batch, True
        batch.add(first)
        while len(batch.acks) < MAX_BATCH:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            if message is None:
                return batch, True
            batch.add(message)
        return batch, False

    def _write(self, batch: _Batch) -> None:
        """One transaction for the batch, retried until it commits; then the broker hears the acks."""
        self._skip_unchanged_states(batch)
        batch.states = self._left_states | batch.states  # the newer message wins
        batch.availability = self._left_availability | batch.availability
        delay = 0.05
        while True:
            try:
                written = self._commit(batch)
                break
            except DBAPIError as error:  # a deadlock, a lost connection, a database being restarted
                log.warning("writing %d messages failed (%s); retrying in %.1f s", len(batch.acks), error.orig, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._refold = written.skipped
        self._left_states = {board: state for board, state in batch.states.items() if board in written.skipped}
        self._left_availability = {b: online for b, online in batch.availability.items() if b in written.skipped}
        total = sum(len(events) for events in batch.events.values())
        self.stats.messages += len(batch.acks)
        self.stats.events_new += written.new
        self.stats.events_repeated += total - written.new
        self.stats.transactions += 1
        for mid, qos in batch.acks:
            if qos:
                self._client.ack(mid, qos)
        for board_id, page in batch.pages.items():
            self._asked.pop(board_id, None)
            if page.get("more"):
                self._ask(board_id, page["next"])
        for board_id, online in batch.availability.items():
            if online and board_id not in written.skipped:
                self._catch_up.add(board_id)

    def _skip_unchanged_states(self, batch: _Batch) -> None:
        """A wall republishes its `state` at every change; the fleet uses its layout and language, kept on every
        change and otherwise every STATE_EVERY seconds (the snapshot stays for whoever wants a recent look)."""
        now = time.monotonic()
        for board_id, snapshot in list(batch.states.items()):
            levels = [
                (level["id"], level["name"], [slot["id"] for slot in level["slots"]]) for level in snapshot["levels"]
            ]
            layout = json.dumps([levels, snapshot.get("language")])
            kept = self._states.get(board_id)
            if kept is not None and kept[0] == layout and now - kept[1] < STATE_EVERY:
                del batch.states[board_id]
            else:
                self._states[board_id] = (layout, now)

    def _commit(self, batch: _Batch) -> Written:
        with Session(self.engine) as session, session.begin():
            return record(
                session,
                self.clock(),
                events=batch.events,
                states=batch.states,
                availability=batch.availability,
                refold=self._refold,
                by=self.client_id,
                skip_locked=True,  # never wait for another collector's wall: leave it, fold it next time
            )

    # -- asking walls for what is missing ------------------------------------------------

    def _fill_gaps(self) -> None:
        """Ask each wall whose gap has lasted `gap_grace` (and each that just came online) from its last folded seq."""
        moment = self.clock()
        with Session(self.engine) as session:
            gaps = session.execute(
                select(Wall.board_id, Wall.last_seq, Wall.gap_since).where(Wall.gap_since.is_not(None))
            )
            due = {board: seq for board, seq, since in gaps if (moment - since).total_seconds() >= self.gap_grace}
            if self._catch_up:
                known = session.execute(select(Wall.board_id, Wall.last_seq).where(Wall.board_id.in_(self._catch_up)))
                due.update({board: seq for board, seq in known if board not in due})
                self._catch_up.clear()
        for board_id, seq in due.items():
            self._ask(board_id, seq)

    def _sweep(self) -> None:
        with Session(self.engine) as session:
            walls = session.execute(select(Wall.board_id, Wall.last_seq).where(Wall.online.is_(True))).all()
        for board_id, seq in walls:
            self._ask(board_id, seq)

    def _ask(self, board_id: str, since: int) -> None:
        """events/get since `since`, answered on this collector's own response topic; one open question per wall."""
        asked = self._asked.get(board_id)
        if asked is not None and time.monotonic() - asked < 10.0:
            return
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = f"{ROOT}/{board_id}/response/{self.client_id}"
        properties.CorrelationData = f"{board_id}:{since}".encode()
        body = encode({"since": since, "limit": PAGE, "transaction": f"fleet-{since}"})
        info = self._client.publish(f"{ROOT}/{board_id}/request/events/get", body, qos=QOS, properties=properties)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self._asked[board_id] = time.monotonic()
            self.stats.requests += 1
            log.info("asked wall %s for its events after seq %d", board_id, since)
