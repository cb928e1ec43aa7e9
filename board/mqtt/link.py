"""The wall's one connection to the broker, kept up forever.

paho runs the network loop on its own thread and reconnects with backoff; the
wall never waits for the broker. After every (re)connect the link publishes
`availability` online and waits for its PUBACK before it calls itself *ready*:
paho re-sends whatever was in flight when the connection dropped right after
that first publish, so once the broker has acknowledged it, anything published
next is queued behind those re-sends. That keeps events in order across outages.
"""

import json
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from board.mqtt.config import MqttConfig

log = logging.getLogger(__name__)

QOS = 1
UNSUPPORTED_PROTOCOL_VERSION = 132  # what paho reports for a 3.1.1 broker's refusal of MQTT 5
ONLINE = {"state": "online"}
OFFLINE = {"state": "offline"}

MessageHandler = Callable[[mqtt.MQTTMessage], None]


def encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _without_nagle(client, userdata, sock) -> None:
    """Small MQTT packets each wait up to 40 ms for a delayed ACK under Nagle's algorithm."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MqttLink:
    def __init__(self, config: MqttConfig, board_id: str):
        self.config = config
        self.base = config.topic_base(board_id)
        self.client_id = config.effective_client_id(board_id)
        self.availability_topic = f"{self.base}/availability"
        self._routes: list[tuple[str, MessageHandler]] = []
        self._ready_callbacks: list[Callable[[], None]] = []
        self._ack_callbacks: list[Callable[[int, ReasonCode], None]] = []
        self._ready = threading.Event()
        # Counts connections: what was ready in an earlier one says nothing about this one.
        self.session = 0
        self._marker_mid: int | None = None  # the availability publish that opens a session
        self._protocol = mqtt.MQTTv311 if config.protocol == "3.1.1" else mqtt.MQTTv5
        self._client = self._new_client()

    # -- set up before start ---------------------------------------------------------

    def route(self, topic_filter: str, handler: MessageHandler) -> None:
        """Subscribe to `topic_filter` on every connect and pass its messages to `handler`.

        Handlers run on paho's network thread: they must only hand work over.
        """
        self._routes.append((topic_filter, handler))

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Call `callback` (network thread) each time a session becomes ready to publish."""
        self._ready_callbacks.append(callback)

    def when_acked(self, callback: Callable[[int, ReasonCode], None]) -> None:
        """Call `callback(mid, reason)` (network thread) for every PUBACK."""
        self._ack_callbacks.append(callback)

    # -- running ---------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def protocol(self) -> int:
        return self._protocol

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def start(self) -> None:
        self._client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive)
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Say offline (a clean disconnect sends no last will), then disconnect."""
        client = self._client
        if self._ready.is_set():
            info = client.publish(self.availability_topic, encode(OFFLINE), qos=QOS, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.warning("could not say offline before disconnecting")
        self._ready.clear()
        client.disconnect()
        client.loop_stop()

    def publish(
        self, topic: str, payload: Any, *, retain: bool = False, properties: Properties | None = None
    ) -> int | None:
        """Publish JSON (or bytes) at QoS 1; the mid, or None when not connected."""
        if not self._client.is_connected():
            return None
        body = payload if isinstance(payload, bytes) else encode(payload)
        info = self._client.publish(topic, body, qos=QOS, retain=retain, properties=properties)
        return info.mid

    # -- paho callbacks (network thread) ------------------------------------------------

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=self._protocol)
        self.config.secure(client)
        client.will_set(self.availability_topic, encode(OFFLINE), qos=QOS, retain=True)
        client.reconnect_delay_set(self.config.reconnect_min_delay, self.config.reconnect_max_delay)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_socket_open = _without_nagle
        # paho's own errors, such as the broker's TLS alert for a missing client certificate.
        client.enable_logger(log.getChild("paho"))
        return client

    def _on_connect(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if reason.is_failure:
            if (
                reason.value == UNSUPPORTED_PROTOCOL_VERSION
                and self.config.protocol == "auto"
                and self._protocol == mqtt.MQTTv5
            ):
                log.warning("broker %s:%s refuses MQTT 5; falling back to 3.1.1", self.config.host, self.config.port)
                threading.Thread(target=self._fall_back_to_311, name="mqtt-fallback", daemon=True).start()
            else:
                log.error(
                    "broker %s:%s refused the connection: %s; retrying", self.config.host, self.config.port, reason
                )
            return
        log.info("connected to %s:%s as %s", self.config.host, self.config.port, self.client_id)
        self.session += 1
        for topic_filter, _handler in self._routes:
            if self._protocol == mqtt.MQTTv5:
                # Keep the retain flag on live messages too, so a retained request is recognised.
                client.subscribe(topic_filter, options=SubscribeOptions(qos=QOS, retainAsPublished=True))
            else:
                client.subscribe(topic_filter, qos=QOS)
        self._marker_mid = client.publish(self.availability_topic, encode(ONLINE), qos=QOS, retain=True).mid

    def _on_connect_fail(self, client, userdata) -> None:
        # paho calls this while it handles the OSError of the failed attempt, so that error is at hand.
        error = sys.exc_info()[1]
        where = f"{self.config.host}:{self.config.port}"
        if isinstance(error, ssl.SSLError):
            log.error(
                "TLS with broker %s failed: %s; check [mqtt.tls] ca_file (and cert_file, key_file); retrying",
                where,
                error,
            )
        else:
            log.warning("cannot reach broker %s: %s; retrying", where, error)

    def _fall_back_to_311(self) -> None:
        old = self._client
        old.loop_stop()
        self._protocol = mqtt.MQTTv311
        self._client = self._new_client()
        self.start()

    def _on_disconnect(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if self._ready.is_set():
            log.warning("lost the broker (%s); reconnecting with backoff", reason)
        self._ready.clear()

    def _on_publish(self, client, userdata, mid: int, reason: ReasonCode, properties) -> None:
        # paho holds its message lock here: callbacks only hand over, never wait.
        if mid == self._marker_mid:
            self._marker_mid = None
            self._ready.set()
            for callback in self._ready_callbacks:
                self._guarded(callback)
        for callback in self._ack_callbacks:
            self._guarded(callback, mid, reason)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        for topic_filter, handler in self._routes:
            if mqtt.topic_matches_sub(topic_filter, message.topic):
                self._guarded(handler, message)

    @staticmethod
    def _guarded(callback: Callable, *args) -> None:
        """An exception in our callback must never kill paho's network thread."""
        try:
            callback(*args)
        except Exception:
            log.exception("MQTT callback %r failed; carrying on", callback)
