"""Requests in, responses out: the admin API on `request/<command>`.

A request is checked on the server's own thread (size, retain flag, JSON, the
command's model, which decodes a photo), not on paho's network thread, which
must keep carrying events meanwhile. It is then carried out on the service thread
through `service.submit`, between sensor events and never at the same time as one.
The response is published from whichever thread finishes the work.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from board.core.clock import later
from board.core.errors import CommandError
from board.core.events import EventType
from board.core.state import CoachInfo, PersonInfo
from board.mqtt import commands as c
from board.mqtt.commands import ErrorCode, Transaction, parse_json_object, transaction_of, validate, validate_model
from board.mqtt.discovery import software_version
from board.mqtt.link import MqttLink, encode
from board.mqtt.photos import NoRoomForPhoto, Photo, remove_orphans
from board.mqtt.state import snapshot_payload
from board.wall.export import TABLES, export_rows, page
from board.wall.reports import resolve_span
from board.wall.service import WallService
from sensors.sim import SimulatedReader

log = logging.getLogger(__name__)
# Requests handed to the service thread and not answered yet; more are answered `busy`.
MAX_WAITING_REQUESTS = 50


# -- what responses say about things ----------------------------------------------------


def person_data(service: WallService, person: PersonInfo) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "photo": person.photo,
        "cards": service.cards_of(person.id),
        "slot": service.slot_of(person.id),
        "archived": person.archived,
    }


def coach_data(coach: CoachInfo) -> dict[str, Any]:
    return {"id": coach.id, "name": coach.name, "uid": coach.badge, "person_id": coach.person_id}


def period_data(service: WallService) -> dict[str, Any]:
    period = service.snapshot().period
    return {
        "id": period.id,
        "starts_at": period.starts_at.isoformat(),
        "ends_at": period.ends_at.isoformat(),
        "goal": period.goal,
        "count": period.count,
    }


def attempt_data(service: WallService, attempt_id: int) -> dict[str, Any]:
    attempt = service.attempt(attempt_id)
    return {
        "id": attempt.id,
        "person_id": attempt.person_id,
        "coach_id": attempt.coach_id,
        "at": attempt.at.astimezone(service.config.tz).isoformat(),
        "voided": attempt.voided,
    }


# -- the commands, run on the service thread ------------------------------------------------


@contextmanager
def stored_photo(service: WallService, photo: Photo | None) -> Iterator[str | None]:
    """The stored file name of `photo` for the command to record; removed again when the
    command fails and the record does not hold the name (a refusal, a failed write)."""
    if photo is None:
        yield None
        return
    try:
        path = photo.save(service.config.photos_dir)
    except NoRoomForPhoto as refusal:
        raise CommandError(ErrorCode.NO_ROOM, str(refusal)) from None
    try:
        yield path.name
    except BaseException:
        if path.name not in _referenced_photos(service):
            path.unlink(missing_ok=True)
        raise


def _referenced_photos(service: WallService) -> set[str]:
    return {person.photo for person in service.people() if person.photo}


def remove_orphan_photos(service: WallService) -> None:
    """At start: photos nobody refers to, left by a crash between file and record."""
    removed = remove_orphans(service.config.photos_dir, _referenced_photos(service))
    if removed:
        log.info("removed %d photo(s) no person refers to", len(removed))


def person_add(service: WallService, request: c.PersonAdd) -> dict:
    with stored_photo(service, request.photo) as photo:
        person_id = service.add_person(request.name, photo=photo)
    return {"person": person_data(service, service.person(person_id))}


def person_update(service: WallService, request: c.PersonUpdate) -> dict:
    """A new photo replaces the old one, whose file is deleted."""
    replaced = service.person(request.id).photo if request.photo else None
    with stored_photo(service, request.photo) as photo:
        person = service.update_person(request.id, request.name, photo)
    if replaced and replaced not in _referenced_photos(service):
        (service.config.photos_dir / replaced).unlink(missing_ok=True)
    return {"person": person_data(service, person)}


def person_archive(service: WallService, request: c.PersonArchive) -> dict:
    return {"person": person_data(service, service.archive_person(request.id))}


def card_assign(service: WallService, request: c.CardAssign) -> dict:
    return {"person": person_data(service, service.assign_card(request.person_id, request.uid))}


def card_unassign(service: WallService, request: c.CardUnassign) -> dict:
    return {"person": person_data(service, service.unassign_card(request.uid))}


def card_enroll(service: WallService, request: c.CardEnroll) -> Future:
    enrolled: Future = Future()
    waiting = service.enroll_card(request.person_id, request.timeout)

    def finish(done: Future) -> None:  # on the service thread, when a tag is seen or time is up
        if done.exception() is not None:
            enrolled.set_exception(done.exception())
        else:
            enrolled.set_result({"person": person_data(service, service.person(done.result().id))})

    waiting.add_done_callback(finish)
    return enrolled


def coach_add(service: WallService, request: c.CoachAdd) -> dict:
    coach_id = service.add_coach(request.name, request.uid, request.person_id)
    return {"coach": coach_data(service.coach(coach_id))}


def coach_remove(service: WallService, request: c.CoachRemove) -> dict:
    return {"coach": coach_data(service.remove_coach(request.id))}


def goal_set(service: WallService, request: c.GoalSet) -> dict:
    service.set_goal(request.goal, request.period)
    return {"period": period_data(service), "next_goal": service.next_period_goal()}


def period_close(service: WallService, request: c.PeriodClose) -> dict:
    recorded = service.close_period()
    awards = [
        {key: event.details[key] for key in ("award", "title", "line", "winners")}
        for event in recorded
        if event.type is EventType.AWARD_GIVEN
    ]
    return {"period": period_data(service), "awards": awards}


def attempt_add(service: WallService, request: c.AttemptAdd) -> dict:
    event = service.add_attempt(request.person_id, request.coach_id, request.reason)
    return {"attempt": attempt_data(service, event.details["attempt_id"])}


def attempt_void(service: WallService, request: c.AttemptVoid) -> dict:
    service.void_attempt(request.id, request.reason)
    return {"attempt": attempt_data(service, request.id)}


def move_correct(service: WallService, request: c.MoveCorrect) -> dict:
    service.correct_move(request.person_id, request.slot, request.reason)
    return {"person": person_data(service, service.person(request.person_id))}


def state_get(service: WallService, request: c.StateGet) -> dict:
    return {"state": snapshot_payload(service.snapshot())}


def events_get(service: WallService, request: c.EventsGet) -> dict:
    events = service.events_since(request.since, request.limit + 1)
    page = events[: request.limit]
    return {
        "events": [event.as_payload() for event in page],
        "next": page[-1].seq if page else request.since,
        "more": len(events) > request.limit,
    }


def people_list(service: WallService, request: c.PeopleList) -> dict:
    """A page of people by id, like events/get: an answer never outgrows the broker's packet limit."""
    people = [
        person for person in service.people() if person.id > request.since and (request.archived or not person.archived)
    ]
    page = people[: request.limit]
    return {
        "people": [person_data(service, person) for person in page],
        "next": page[-1].id if page else request.since,
        "more": len(people) > request.limit,
    }


def display_harvest(service: WallService, request: c.DisplayHarvest) -> dict:
    event = service.show_harvest(request.period, request.seconds)
    return {"until": later(event.at, timedelta(seconds=request.seconds)).isoformat()}


def export_get(service: WallService, request: c.ExportGet) -> dict:
    span = resolve_span(service.store, service.config, request.period, service.clock.now())
    rows = export_rows(service.store, service.config, request.table, span)
    chosen, after, more = page(request.table, rows, request.after, request.limit)
    return {
        "table": request.table,
        "columns": list(TABLES[request.table].columns),
        "period": {"id": span.id, "starts_at": span.starts_at.isoformat(), "ends_at": span.ends_at.isoformat()},
        "rows": chosen,
        "next": after,
        "more": more,
    }


def display_message(service: WallService, request: c.DisplayMessage) -> dict:
    return {"until": service.show_message(request.text, request.seconds).isoformat()}


def write_failure_data(service: WallService) -> dict[str, str] | None:
    """The write the database refused last (a full disk), until one succeeds again."""
    failure = service.write_failure
    return None if failure is None else {"at": failure.at.isoformat(), "error": failure.error}


class HealthResponder:
    """The `health` handler (answers `commands.Health`); a class because it remembers since when the wall runs."""

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, service: WallService, request: c.Health) -> dict:
        return {
            "version": software_version(),
            "uptime_s": round(time.monotonic() - self.started),
            "readers_offline": list(service.snapshot().offline_readers),
            "outbox_pending": service.outbox_size(),
            "last_event_seq": service.last_seq(),
            "write_failure": write_failure_data(service),
        }


Handler = Callable[[WallService, c.Request], dict | Future]

HANDLERS: dict[str, Handler] = {
    "person/add": person_add,
    "person/update": person_update,
    "person/archive": person_archive,
    "card/assign": card_assign,
    "card/unassign": card_unassign,
    "card/enroll": card_enroll,
    "coach/add": coach_add,
    "coach/remove": coach_remove,
    "goal/set": goal_set,
    "period/close": period_close,
    "attempt/add": attempt_add,
    "attempt/void": attempt_void,
    "move/correct": move_correct,
    "state/get": state_get,
    "events/get": events_get,
    "people/list": people_list,
    "display/message": display_message,
    "display/harvest": display_harvest,
    "export/get": export_get,
    "health": HealthResponder(),
}


# -- the request server ------------------------------------------------------------------


class RequestServer:
    def __init__(self, link: MqttLink, service: WallService, *, max_payload_bytes: int):
        self.link = link
        self.service = service
        self.max_payload_bytes = max_payload_bytes
        self._prefix = f"{link.base}/request/"
        self._response_prefix = f"{link.base}/response/"
        self._arrived: queue.SimpleQueue[mqtt.MQTTMessage | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._waiting = threading.BoundedSemaphore(MAX_WAITING_REQUESTS)  # requests handed to the service
        link.route(f"{self._prefix}#", self._arrived.put)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._check_arrivals, name="mqtt-requests", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._arrived.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _check_arrivals(self) -> None:
        while (message := self._arrived.get()) is not None:
            try:
                self._on_request(message)
            except Exception:
                log.exception("request on %s failed unanswered; carrying on", message.topic)

    def _on_request(self, message: mqtt.MQTTMessage) -> None:
        """Check the request, hand it to the service thread."""
        command = message.topic[len(self._prefix) :]
        reply_to = self._reply_properties(message)
        transaction: Transaction | None = None
        try:
            if len(message.payload) > self.max_payload_bytes:  # refused unread: no transaction to echo
                raise CommandError(ErrorCode.PAYLOAD_TOO_LARGE, f"a request has at most {self.max_payload_bytes} bytes")
            document = parse_json_object(message.payload)
            transaction = transaction_of(document)
            if message.retain:
                raise CommandError(ErrorCode.RETAINED_REQUEST, "requests must not be retained; not carried out")
            request = validate(command, document)
        except CommandError as refusal:
            self._respond(command, transaction, reply_to, error=refusal)
            return
        if not self._waiting.acquire(blocking=False):
            self._respond(
                command,
                transaction,
                reply_to,
                error=CommandError(
                    ErrorCode.BUSY, f"{MAX_WAITING_REQUESTS} requests are waiting already; try again in a moment"
                ),
            )
            return
        handler = HANDLERS[command]
        future = self.service.submit(lambda: handler(self.service, request))
        future.add_done_callback(
            lambda done: (self._waiting.release(), self._finish(command, transaction, reply_to, done))
        )

    def _finish(self, command: str, transaction: Transaction | None, reply_to, done: Future) -> None:
        error = done.exception()
        if error is None and isinstance(done.result(), Future):  # card/enroll answers later
            done.result().add_done_callback(lambda later: self._finish(command, transaction, reply_to, later))
            return
        if error is None:
            self._respond(command, transaction, reply_to, data=done.result())
        elif isinstance(error, CommandError):
            self._respond(command, transaction, reply_to, error=error)
        else:
            log.error("request %s failed", command, exc_info=error)
            self._respond(
                command,
                transaction,
                reply_to,
                error=CommandError(ErrorCode.INTERNAL_ERROR, f"{type(error).__name__}: the wall logged it"),
            )

    def _respond(
        self,
        command: str,
        transaction: Transaction | None,
        reply_to: tuple[str, Properties] | None,
        *,
        data: Any = None,
        error: CommandError | None = None,
    ) -> None:
        if error is None:
            response = {"transaction": transaction, "status": "ok", "data": data}
        else:
            response = {
                "transaction": transaction,
                "status": "error",
                "error": {"code": str(error.code), "message": error.message},
            }
        body = encode(response)
        if len(body) > self.max_payload_bytes:
            # The broker would drop the connection over it, and paho send it again at every reconnect.
            log.warning(
                "the answer to %s has %d bytes, over the limit; answering payload_too_large", command, len(body)
            )
            body = encode(
                {
                    "transaction": transaction,
                    "status": "error",
                    "error": {
                        "code": str(ErrorCode.PAYLOAD_TOO_LARGE),
                        "message": f"the answer would have {len(body)} bytes, more than {self.max_payload_bytes}; "
                        "ask for a smaller page (limit)",
                    },
                }
            )
        if self.link.publish(f"{self.link.base}/response/{command}", body) is None:
            log.warning("response to %s lost: not connected", command)
        if reply_to is not None:
            self.link.publish(reply_to[0], body, properties=reply_to[1])

    def _reply_properties(self, message: mqtt.MQTTMessage) -> tuple[str, Properties] | None:
        """MQTT 5 response topic and correlation data, echoed on the answer.

        Only a topic under `response/`: the wall may publish events and state, and an
        admin must not make it publish there what the ACL forbids the admin to.
        """
        received = getattr(message, "properties", None)
        response_topic = getattr(received, "ResponseTopic", None)
        if not response_topic or "+" in response_topic or "#" in response_topic:
            return None
        if not response_topic.startswith(self._response_prefix):
            log.warning("ignored the response topic of a request: it is not under %s", self._response_prefix)
            return None
        properties = Properties(PacketTypes.PUBLISH)
        correlation = getattr(received, "CorrelationData", None)
        if correlation is not None:
            properties.CorrelationData = correlation
        return response_topic, properties


def route_sim_readers(link: MqttLink, readers: dict[str, SimulatedReader]) -> None:
    """`sim/reader` sets the tags a simulated reader sees: drive a wall end to end over the broker."""

    def on_sim_reader(message: mqtt.MQTTMessage) -> None:
        if message.retain:
            log.warning("ignored a retained sim/reader message")
            return
        try:
            update = validate_model(c.SimReader, parse_json_object(message.payload))
        except CommandError as refusal:
            log.warning("ignored sim/reader: %s", refusal.message)
            return
        reader = readers.get(update.reader)
        if reader is None:
            log.warning("ignored sim/reader: no reader %r", update.reader)
            return
        reader.set_tags(update.tags)

    link.route(f"{link.base}/sim/reader", on_sim_reader)
