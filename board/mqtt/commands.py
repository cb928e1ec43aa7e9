"""Every admin command: its request model, its documentation, its example.

The models are the single source of truth for what a request may contain;
docs/mqtt.md is generated from them (`python -m board.mqtt.docs`), so the
documentation cannot drift from the code. Models are strict: unknown fields,
wrong JSON types, control characters and oversized strings are refused.
"""

import json
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from board.core.errors import CommandError
from board.core.uid import normalise_uid
from board.core.visible import has_visible_character
from board.mqtt.photos import PHOTO_MAX_BYTES, decode_photo
from board.wall.admin import NAME_MAX
from board.wall.export import TABLES as EXPORT_TABLES


class ErrorCode(StrEnum):
    """Stable, machine-readable codes of an error response."""

    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"
    UNKNOWN_COMMAND = "unknown_command"
    NOT_FOUND = "not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RETAINED_REQUEST = "retained_request"
    CONFLICT = "conflict"
    TIMEOUT = "timeout"
    NO_ROOM = "no_room"
    BUSY = "busy"
    INTERNAL_ERROR = "internal_error"


ERROR_MEANINGS = {
    ErrorCode.INVALID_JSON: "The payload is not UTF-8 JSON.",
    ErrorCode.INVALID_REQUEST: "The JSON is not an object, or a field is missing, unknown, of the wrong type or out of range.",
    ErrorCode.UNKNOWN_COMMAND: "No command has this name.",
    ErrorCode.NOT_FOUND: "An id (person, card, coach, attempt, slot) does not exist.",
    ErrorCode.PAYLOAD_TOO_LARGE: "The payload is larger than `[mqtt] max_payload_bytes`, or the answer would be: ask for a smaller page.",
    ErrorCode.RETAINED_REQUEST: "The request was published with the retain flag; it would run again at every reconnect, so it never runs.",
    ErrorCode.CONFLICT: "The command contradicts the current state (a tag already assigned, an attempt already voided, ...).",
    ErrorCode.TIMEOUT: "The command waited for something that did not happen in time (card/enroll).",
    ErrorCode.NO_ROOM: "A photo does not fit: the photos' quota is used up, or the disk keeps its last space for the database.",
    ErrorCode.BUSY: "Too many requests are waiting for the wall already; send it again in a moment.",
    ErrorCode.INTERNAL_ERROR: "The wall failed to carry out the command; it is logged and the wall keeps running.",
}


def _no_control_characters(text: str) -> str:
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise ValueError("must not contain control characters")
    return text


def _visible(text: str) -> str:
    if not has_visible_character(text):
        raise ValueError("needs at least one visible character")
    return text


def _text(max_length: int) -> Any:
    """A stripped, single-line string of at most `max_length` characters that shows something."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_no_control_characters),
        AfterValidator(_visible),
    ]


Name = _text(NAME_MAX)  # the same bound as the CLI's (and the database column)
Reason = _text(200)
MAX_ID = 2**53  # ids and seqs stay exact in JavaScript clients and fit SQLite's INTEGER
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Uid = Annotated[str, StringConstraints(max_length=40), AfterValidator(normalise_uid)]
# A slot id, which is also the id of the slot's reader; the coach pad's reader is "pad".
SlotId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
PhotoData = Annotated[
    str,
    StringConstraints(max_length=(PHOTO_MAX_BYTES + 2) // 3 * 4),
    AfterValidator(decode_photo),
]
PHOTO_FIELD = Field(None, description=f"Base64 JPEG or PNG, at most {PHOTO_MAX_BYTES} bytes decoded; see Photos.")
Transaction = str | int


class Request(BaseModel):
    """Fields every request may carry."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    transaction: (
        Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_control_characters)] | int | None
    ) = Field(None, description="Echoed in the response, to match it with this request.")


class PersonAdd(Request):
    name: Name = Field(description="Shown under the polaroid.")
    photo: PhotoData | None = PHOTO_FIELD


class PersonUpdate(Request):
    id: Id = Field(description="Person id.")
    name: Name | None = None
    photo: PhotoData | None = PHOTO_FIELD

    @model_validator(mode="after")
    def _changes_something(self) -> "PersonUpdate":
        if self.name is None and self.photo is None:
            raise ValueError("give a name, a photo or both")
        return self


class PersonArchive(Request):
    id: Id = Field(description="Person id. Their card is released; their history stays.")


class CardAssign(Request):
    person_id: Id
    uid: Uid = Field(description='Tag UID, e.g. "04:A2:1B:C3:D4:E5:F6".')


class CardUnassign(Request):
    uid: Uid


class CardEnroll(Request):
    person_id: Id
    timeout: int = Field(60, ge=5, le=600, description="Seconds to wait for an unknown tag.")


class CoachAdd(Request):
    name: Name
    uid: Uid = Field(description="The coach's badge.")
    person_id: Id | None = Field(
        None, description="Set when the coach is on the wall too: nobody confirms their own attempt."
    )


class CoachRemove(Request):
    id: Id = Field(description="Coach id.")


class GoalSet(Request):
    goal: int = Field(ge=0, le=1_000_000, description="Confirmed attempts to reach.")
    period: Literal["current", "next"] = "current"


class PeriodClose(Request):
    pass


class AttemptAdd(Request):
    person_id: Id
    coach_id: Id | None = None
    reason: Reason = Field(description="Why it is added by hand; kept in history.")


class AttemptVoid(Request):
    id: Id = Field(description="Attempt id.")
    reason: Reason


class MoveCorrect(Request):
    person_id: Id
    slot: SlotId | None = Field(description="Where the card really is; null for off the wall.")
    reason: Reason


class StateGet(Request):
    pass


class EventsGet(Request):
    since: int = Field(0, ge=0, le=MAX_ID, description="Return events with a larger seq.")
    limit: int = Field(100, ge=1, le=1000)


class PeopleList(Request):
    archived: bool = Field(False, description="Include archived people.")
    since: int = Field(0, ge=0, le=MAX_ID, description="Return people with a larger id.")
    limit: int = Field(100, ge=1, le=500)


class DisplayMessage(Request):
    text: _text(200)
    seconds: int = Field(30, ge=1, le=3600)


class Health(Request):
    pass


class DisplayHarvest(Request):
    period: str = Field(
        "last",
        max_length=22,
        pattern=r"^(current|last|[0-9]{1,12})$",
        description="`last` (the period that ended), `current` or a period id.",
    )
    seconds: int = Field(600, ge=0, le=86400, description="How long the screen shows it; 0 ends a harvest shown now.")


PeriodSpec = Annotated[
    str,
    StringConstraints(
        max_length=22,
        pattern=r"^(current|last|all|[0-9]{1,12}|[0-9]{4}-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})$",
    ),
]
PERIOD_FIELD_HELP = "`current`, `last`, a period id, `all` or `FROM..TO` (dates YYYY-MM-DD, both included)."


class ExportGet(Request):
    table: Literal["attempts", "moves", "events", "people"] = Field(
        description="Which table; columns in docs/export.md."
    )
    period: PeriodSpec = Field("all", description=PERIOD_FIELD_HELP)
    after: int = Field(
        0, ge=0, le=MAX_ID, description="Rows whose key (first column) is larger: the `next` of the page before."
    )
    limit: int = Field(100, ge=1, le=500)


class SimReader(BaseModel):
    """Payload of `sim/reader`: exactly these tags are now in that reader's field."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    reader: SlotId = Field(description='A slot id, or "pad" for the coach pad.')
    tags: list[Uid] = Field(max_length=16)


@dataclass(frozen=True)
class Command:
    name: str
    model: type[Request]
    summary: str
    example: dict[str, Any]
    example_data: Any  # the `data` of a successful response to `example`, or a function that records it


_PERSON = {
    "id": 7,
    "name": "Sanne de Vries",
    "photo": "3f2a9c0d.jpeg",
    "cards": ["04A21BC3D4E5F6"],
    "slot": "B3",
    "archived": False,
}
_TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVQImWM8oaHBwMDAxMDAwMDAAAAN6gEcQpBsVAAAAABJRU5ErkJggg=="  # 2x2 red

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command(
            "person/add",
            PersonAdd,
            "Add a person. Assign their card with card/assign or card/enroll.",
            {"transaction": "a1", "name": "Sanne de Vries", "photo": _TINY_PNG},
            {"person": {**_PERSON, "cards": [], "slot": None}},
        ),
        Command(
            "person/update",
            PersonUpdate,
            "Change a person's name, photo or both.",
            {"id": 7, "name": "Sanne Jansen"},
            {"person": {**_PERSON, "name": "Sanne Jansen"}},
        ),
        Command(
            "person/archive",
            PersonArchive,
            "Take a person off the board for good; history keeps them.",
            {"id": 7},
            {"person": {**_PERSON, "cards": [], "slot": None, "archived": True}},
        ),
        Command(
            "card/assign",
            CardAssign,
            "Give a person the card with this tag UID.",
            {"person_id": 7, "uid": "04:A2:1B:C3:D4:E5:F6"},
            {"person": _PERSON},
        ),
        Command(
            "card/unassign",
            CardUnassign,
            "Release a card; the tag becomes unknown.",
            {"uid": "04A21BC3D4E5F6"},
            {"person": {**_PERSON, "cards": []}},
        ),
        Command(
            "card/enroll",
            CardEnroll,
            "Assign the next unknown tag seen at any reader to this person. Answers when a tag "
            "is assigned, or with `timeout`.",
            {"person_id": 7, "timeout": 60},
            {"person": _PERSON},
        ),
        Command(
            "coach/add",
            CoachAdd,
            "Register a coach badge.",
            {"name": "Mo Bakker", "uid": "04:11:22:33", "person_id": 3},
            {"coach": {"id": 2, "name": "Mo Bakker", "uid": "04112233", "person_id": 3}},
        ),
        Command(
            "coach/remove",
            CoachRemove,
            "Retire a coach badge; it no longer confirms attempts.",
            {"id": 2},
            {"coach": {"id": 2, "name": "Mo Bakker", "uid": "04112233", "person_id": 3}},
        ),
        Command(
            "goal/set",
            GoalSet,
            "Set the goal of the current or the next period.",
            {"goal": 120, "period": "current"},
            {
                "period": {
                    "id": 12,
                    "starts_at": "2025-03-10T00:00:00+01:00",
                    "ends_at": "2025-03-17T00:00:00+01:00",
                    "goal": 120,
                    "count": 37,
                },
                "next_goal": None,
            },
        ),
        Command(
            "period/close",
            PeriodClose,
            "End the current period now and start the next one. The closed period's totals and awards "
            "are recorded first (`period_closed`, `award_given` events) and returned.",
            {},
            {
                "period": {
                    "id": 13,
                    "starts_at": "2025-03-12T15:04:00+01:00",
                    "ends_at": "2025-03-17T00:00:00+01:00",
                    "goal": 120,
                    "count": 0,
                },
                "awards": [
                    {
                        "award": "climber",
                        "title": "Grootste klimmer",
                        "line": "Sanne de Vries klom 1 niveau omhoog, van Start naar Onderweg.",
                        "winners": [{"id": 7, "name": "Sanne de Vries", "value": 1}],
                    }
                ],
            },
        ),
        Command(
            "attempt/add",
            AttemptAdd,
            "Record an attempt by hand, with the reason.",
            {"person_id": 7, "coach_id": 2, "reason": "confirmed on the floor, badge forgotten"},
            {"attempt": {"id": 311, "person_id": 7, "coach_id": 2, "at": "2025-03-12T15:04:00+01:00", "voided": False}},
        ),
        Command(
            "attempt/void",
            AttemptVoid,
            "Void an attempt; it stays in history with the reason.",
            {"id": 311, "reason": "entered twice"},
            {"attempt": {"id": 311, "person_id": 7, "coach_id": 2, "at": "2025-03-12T15:04:00+01:00", "voided": True}},
        ),
        Command(
            "move/correct",
            MoveCorrect,
            "Put the record right when the wall and the data disagree: the card is really in `slot` (or off the wall).",
            {"person_id": 7, "slot": "B3", "reason": "reader B3 was offline during the move"},
            {"person": _PERSON},
        ),
        Command(
            "state/get",
            StateGet,
            "The same snapshot as the retained `state` topic.",
            {},
            {"state": "… as on the state topic …"},
        ),
        Command(
            "events/get",
            EventsGet,
            "Events after `since`, oldest first: catch up after missing some. `next` is the `since` "
            "of the following page; `more` says whether there is one.",
            {"since": 4, "limit": 2},
            lambda: _events_page(4, 2),
        ),
        Command(
            "people/list",
            PeopleList,
            "Everyone on the board, with card and slot, by id a page at a time: `next` is the `since` of "
            "the following page; `more` says whether there is one.",
            {"archived": False, "since": 6, "limit": 1},
            {"people": [_PERSON], "next": 7, "more": True},
        ),
        Command(
            "display/message",
            DisplayMessage,
            "Show a text on the screen for a number of seconds.",
            {"text": "Koffie staat klaar!", "seconds": 60},
            {"until": "2025-03-12T15:05:00+01:00"},
        ),
        Command(
            "display/harvest",
            DisplayHarvest,
            "Show a period's harvest on the screen (its awards, who climbed, the wall before and after) "
            "for a while; recorded as a `harvest_shown` event.",
            {"period": "last", "seconds": 900},
            {"until": "2025-03-12T15:19:00+01:00"},
        ),
        Command(
            "export/get",
            ExportGet,
            "One page of an export table (as `wallboard export` writes it), oldest first: `next` is the "
            "`after` of the following page, `more` says whether there is one.",
            {"table": "attempts", "period": "last", "after": 0, "limit": 1},
            {
                "table": "attempts",
                "columns": list(EXPORT_TABLES["attempts"].columns),
                "period": {"id": 11, "starts_at": "2025-03-03T00:00:00+01:00", "ends_at": "2025-03-10T00:00:00+01:00"},
                "rows": [
                    {
                        "attempt_id": 301,
                        "at": "2025-03-04T10:12:31+01:00",
                        "period_id": 11,
                        "person_id": 7,
                        "person_name": "Sanne de Vries",
                        "coach_id": 2,
                        "coach_name": "Mo Bakker",
                        "via": "slot",
                        "slot": "B3",
                        "voided": False,
                        "void_reason": None,
                        "event_seq": 1498,
                    }
                ],
                "next": 301,
                "more": True,
            },
        ),
        Command(
            "health",
            Health,
            "Is the wall well? Readers, outbox, uptime, and `write_failure`: the last "
            "write the database refused (a full disk), until one succeeds again.",
            {},
            {
                "version": "0.1.0",
                "uptime_s": 86400,
                "readers_offline": [],
                "outbox_pending": 0,
                "last_event_seq": 1522,
                "write_failure": None,
            },
        ),
    )
}


def _events_page(since: int, limit: int) -> dict[str, Any]:
    """An events/get answer from events the real rules recorded (see examples)."""
    from board.mqtt.examples import recorded_events

    events = [event for event in recorded_events() if event.seq > since]
    page = events[:limit]
    return {"events": [event.as_payload() for event in page], "next": page[-1].seq, "more": len(events) > limit}


ModelT = TypeVar("ModelT", bound=BaseModel)


def _excerpt(text: str, limit: int = 80) -> str:
    """A name the sender chose (a field, a command), cut short for an error message."""
    return text if len(text) <= limit else text[:limit] + "…"


def _describe_errors(error: ValidationError) -> str:
    """One line per problem, naming the field and never echoing the input."""
    problems = []
    for item in error.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(_excerpt(str(part)) for part in item["loc"]) or "request"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(payload: bytes) -> dict[str, Any]:
    """Decode a request or sim/reader payload; an empty payload is an empty object."""
    if not payload:
        return {}
    try:
        document = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise CommandError(ErrorCode.INVALID_JSON, f"payload is not UTF-8 JSON: {error}") from None
    if not isinstance(document, dict):
        raise CommandError(ErrorCode.INVALID_REQUEST, "a request is a JSON object")
    return document


def transaction_of(document: dict[str, Any]) -> Transaction | None:
    """The transaction to echo, if the request carries a usable one, even when it is invalid otherwise."""
    try:
        return Request.model_validate({"transaction": document.get("transaction")}).transaction
    except ValidationError:
        return None


def validate(command_name: str, document: dict[str, Any]) -> Request:
    command = COMMANDS.get(command_name)
    if command is None:
        raise CommandError(ErrorCode.UNKNOWN_COMMAND, f"no command {_excerpt(command_name)!r}")
    return validate_model(command.model, document)


def validate_model(model: type[ModelT], document: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise CommandError(ErrorCode.INVALID_REQUEST, _describe_errors(error)) from None
