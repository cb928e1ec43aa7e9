"""The request models: what admins may send, and the docs generated from them."""

import base64
import struct
import zlib

import pytest

from board.core.errors import CommandError
from board.mqtt import docs
from board.mqtt.commands import COMMANDS, ErrorCode, parse_json_object, transaction_of, validate
from board.mqtt.photos import PHOTO_MAX_BYTES, decode_photo


def refused(command: str, document: dict) -> str:
    with pytest.raises(CommandError) as refusal:
        validate(command, document)
    return refusal.value.code


def png(width: int, height: int) -> bytes:
    """A real PNG (grey, 8 bit) built by hand, so a test can choose absurd sizes cheaply."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(min(height, 4)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_committed_api_doc_is_the_one_generated_from_the_models():
    assert docs.DOC_PATH.read_text() == docs.render(), "run: python -m board.mqtt.docs"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_documented_example_is_a_valid_request(name):
    validate(name, COMMANDS[name].example)


def test_a_10_kB_name_is_refused():
    assert refused("person/add", {"name": "x" * 10_000}) == ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize("name", ["Sanne\x00", "a\nb", "tab\there", "bell\x07", "del\x7f", "c1\x85inside"])
def test_names_with_control_characters_are_refused(name):
    assert refused("person/add", {"name": name}) == ErrorCode.INVALID_REQUEST


def test_names_are_trimmed_and_may_not_be_blank():
    assert validate("person/add", {"name": "  Sanne  "}).name == "Sanne"
    assert refused("person/add", {"name": "   "}) == ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize("document", [
    {"id": "7"}, {"id": 7.0}, {"id": True}, {"id": 0}, {"id": -1}, {"id": 2**64}, {}, {"id": 7, "force": True},
])
def test_ids_must_be_positive_json_integers_and_unknown_fields_are_refused(document):
    assert refused("person/archive", document) == ErrorCode.INVALID_REQUEST


def test_tag_uids_are_normalised_and_checked():
    assert validate("card/assign", {"person_id": 1, "uid": "04:a2:1b:c3"}).uid == "04A21BC3"
    assert refused("card/assign", {"person_id": 1, "uid": "04:a2"}) == ErrorCode.INVALID_REQUEST
    assert refused("card/assign", {"person_id": 1, "uid": "zz" * 4}) == ErrorCode.INVALID_REQUEST


def test_person_update_must_change_something():
    assert refused("person/update", {"id": 3}) == ErrorCode.INVALID_REQUEST


def test_goal_period_is_current_or_next():
    assert validate("goal/set", {"goal": 10}).period == "current"
    assert refused("goal/set", {"goal": 10, "period": "last"}) == ErrorCode.INVALID_REQUEST
    assert refused("goal/set", {"goal": -1}) == ErrorCode.INVALID_REQUEST


def test_an_unknown_command_is_named_as_such():
    assert refused("person/delete", {}) == ErrorCode.UNKNOWN_COMMAND


@pytest.mark.parametrize("payload, code", [
    (b"{", ErrorCode.INVALID_JSON),
    (b"\xff\xfe", ErrorCode.INVALID_JSON),
    (b"NaN", ErrorCode.INVALID_JSON),
    (b"[" * 100_000, ErrorCode.INVALID_JSON),
    (b"[1, 2]", ErrorCode.INVALID_REQUEST),
    (b'"text"', ErrorCode.INVALID_REQUEST),
])
def test_payloads_that_are_not_json_objects_are_refused(payload, code):
    with pytest.raises(CommandError) as refusal:
        parse_json_object(payload)
    assert refusal.value.code == code


def test_an_empty_payload_is_an_empty_request():
    assert parse_json_object(b"") == {}


def test_the_transaction_is_echoed_even_when_the_rest_is_invalid():
    assert transaction_of({"transaction": "t-1", "name": 5}) == "t-1"
    assert transaction_of({"transaction": 42}) == 42
    assert transaction_of({"transaction": {"nested": 1}}) is None
    assert transaction_of({"transaction": "x" * 65}) is None


def test_a_real_png_and_jpeg_are_accepted_and_saved_under_a_generated_name(tmp_path):
    import pygame

    surface = pygame.Surface((8, 6))
    surface.fill((10, 120, 200))
    pygame.image.save(surface, str(tmp_path / "in.jpg"))
    jpeg = decode_photo(base64.b64encode((tmp_path / "in.jpg").read_bytes()).decode())
    assert jpeg.format == "jpeg"
    photo = validate("person/add", {"name": "Sanne", "photo": base64.b64encode(png(3, 2)).decode()}).photo
    saved = photo.save(tmp_path / "photos")
    assert saved.parent == tmp_path / "photos" and saved.suffix == ".png"
    assert saved.read_bytes() == png(3, 2)
    assert [path.name for path in (tmp_path / "photos").iterdir()] == [saved.name]


@pytest.mark.parametrize("data, why", [
    (b"hello", "not an image"),
    (png(3, 2)[:40], "truncated"),
    (png(3, 2).replace(b"IDAT", b"IDAX"), "damaged"),
    (png(100_000, 100_000), "a bitmap too large to hold"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "a JPEG without frame"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (PHOTO_MAX_BYTES + 1), "too many bytes"),
])
def test_photos_that_are_not_small_decodable_images_are_refused(data, why):
    assert refused("person/add", {"name": "Sanne", "photo": base64.b64encode(data).decode()}) == ErrorCode.INVALID_REQUEST, why


def test_photo_text_must_be_strict_base64():
    assert refused("person/add", {"name": "Sanne", "photo": "not base64!"}) == ErrorCode.INVALID_REQUEST


def test_an_error_message_does_not_echo_a_10_kB_field_name():
    with pytest.raises(CommandError) as refusal:
        validate("health", {"x" * 10_000: 1, "y" * 10_000: 2})
    assert refusal.value.code == ErrorCode.INVALID_REQUEST and len(refusal.value.message) < 300
