"""A plain paho client for tests: subscribe, publish, wait for what arrives."""

import itertools
import json
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from board.dev.broker import Mosquitto


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    properties: Any

    def json(self) -> Any:
        return json.loads(self.payload)


class TestClient:
    __test__ = False  # not a test class

    def __init__(self, broker: Mosquitto, user: str = "admin", *, protocol=mqtt.MQTTv5, persistent: bool = False):
        """A `persistent` client keeps its session (and messages queued for it) across broker restarts."""
        self.broker = broker
        self.persistent = persistent
        self.messages: queue.Queue[Received] = queue.Queue()
        self._connected = threading.Event()
        self._acks: dict[int, Any] = {}
        self._acked = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}", protocol=protocol
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.username_pw_set(user, broker.users[user])
        self.client.on_connect = lambda client, userdata, flags, reason, properties: self._connected.set()
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_socket_open = lambda client, userdata, sock: sock.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )

    def _on_message(self, client, userdata, message) -> None:
        self.messages.put(
            Received(message.topic, message.payload, bool(message.retain), getattr(message, "properties", None))
        )

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._acked:
            self._acks[mid] = reason_code
            self._acked.notify_all()

    def connect(self, timeout: float = 5.0) -> "TestClient":
        if self.persistent:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600
            self.client.connect(self.broker.host, self.broker.port, clean_start=False, properties=properties)
        else:
            self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            raise TimeoutError("test client did not connect")
        return self

    def subscribe(self, *topics: str) -> "TestClient":
        for topic in topics:
            result, mid = self.client.subscribe(topic, qos=1)
            assert result == mqtt.MQTT_ERR_SUCCESS
        time.sleep(0.1)  # let SUBACKs arrive before the test publishes
        return self

    def publish(
        self,
        topic: str,
        payload: Any,
        *,
        retain: bool = False,
        properties: Properties | None = None,
        raw: bool = False,
        timeout: float = 5.0,
    ):
        """Publish at QoS 1 and wait for PUBACK; returns its reason code."""
        body = payload if raw else json.dumps(payload)
        info = self.client.publish(topic, body, qos=1, retain=retain, properties=properties)
        deadline = time.monotonic() + timeout
        with self._acked:
            while info.mid not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no PUBACK for {topic}")
                self._acked.wait(remaining)
            return self._acks.pop(info.mid)

    def next(self, timeout: float = 5.0) -> Received:
        return self.messages.get(timeout=timeout)

    def wait_for(self, topic: str, timeout: float = 5.0) -> Received:
        """The next message on `topic`; messages on other topics are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"nothing on {topic}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError(f"nothing on {topic}") from None
            if message.topic == topic:
                return message

    def events(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The next `count` messages on event topics; others are dropped."""
        events = []
        deadline = time.monotonic() + timeout
        while len(events) < count:
            message = self.next(timeout=max(0.1, deadline - time.monotonic()))
            if "/event/" in message.topic:
                events.append(message)
        return events

    def event_seqs(self, count: int, timeout: float = 30.0) -> list[int]:
        return [message.json()["seq"] for message in self.events(count, timeout)]

    def event_seqs_after(self, seen: int, count: int, timeout: float = 30.0) -> list[int]:
        """The next `count` events newer than `seen`, dropping QoS 1 repeats of older ones
        by their seq, as the contract tells every consumer to."""
        seqs: list[int] = []
        deadline = time.monotonic() + timeout
        while len(seqs) < count:
            [seq] = self.event_seqs(1, timeout=max(0.1, deadline - time.monotonic()))
            if seq > seen:
                seqs.append(seq)
        return seqs

    def nothing_within(self, seconds: float) -> bool:
        try:
            message = self.messages.get(timeout=seconds)
        except queue.Empty:
            return True
        self.messages.put(message)
        return False

    @staticmethod
    def request_properties(response_topic: str, correlation: bytes) -> Properties:
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = response_topic
        properties.CorrelationData = correlation
        return properties

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Admin(TestClient):
    """An admin who sends requests and waits for the matching response."""

    def __init__(self, broker: Mosquitto, base: str):
        super().__init__(broker, "admin")
        self.base = base
        self._transactions = itertools.count(1)

    def connect(self, timeout: float = 5.0) -> "Admin":
        super().connect(timeout)
        self.subscribe(f"{self.base}/response/#")
        return self

    def request(self, command: str, payload: Any = None, *, timeout: float = 10.0, **options) -> dict:
        """Send `payload` (a dict gets a transaction) and return the response that echoes it."""
        if isinstance(payload, dict) or payload is None:
            transaction = f"t{next(self._transactions)}"
            payload = {"transaction": transaction} | (payload or {})
        else:
            transaction = None
        self.publish(f"{self.base}/request/{command}", payload, **options)
        deadline = time.monotonic() + timeout
        while True:
            response = self.wait_for(f"{self.base}/response/{command}", max(0.01, deadline - time.monotonic())).json()
            if response["transaction"] == transaction:
                return response
