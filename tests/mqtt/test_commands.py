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
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


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


INVISIBLE = ["\u200b", "\u00ad", "\u200b\u200d\u2060", "\u3164", "\u2800", "\u0301"]


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_names_and_texts_without_a_visible_character_are_refused(invisible):
    assert refused("person/add", {"name": invisible}) == ErrorCode.INVALID_REQUEST
    assert refused("coach/add", {"name": invisible, "uid": "C0AC0001"}) == ErrorCode.INVALID_REQUEST
    assert refused("display/message", {"text": invisible}) == ErrorCode.INVALID_REQUEST
    assert refused("attempt/void", {"id": 1, "reason": invisible}) == ErrorCode.INVALID_REQUEST


def test_names_in_any_script_with_accents_and_emoji_are_accepted():
    for name in ["Zoë", "José", "Ŝanne", "محمد", "李娜", "Sanne 😀", "e\u0301"]:
        assert validate("person/add", {"name": name}).name == name


@pytest.mark.parametrize(
    "document",
    [
        {"id": "7"},
        {"id": 7.0},
        {"id": True},
        {"id": 0},
        {"id": -1},
        {"id": 2**64},
        {},
        {"id": 7, "force": True},
    ],
)
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


@pytest.mark.parametrize(
    "payload, code",
    [
        (b"{", ErrorCode.INVALID_JSON),
        (b"\xff\xfe", ErrorCode.INVALID_JSON),
        (b"NaN", ErrorCode.INVALID_JSON),
        (b"[" * 100_000, ErrorCode.INVALID_JSON),
        (b"[1, 2]", ErrorCode.INVALID_REQUEST),
        (b'"text"', ErrorCode.INVALID_REQUEST),
    ],
)
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
    assert saved.parent == tmp_path / "photos" and saved.suffix == ".jpeg"  # stored re-encoded
    assert pygame.image.load(str(saved)).get_size() == (3, 2)
    assert [path.name for path in (tmp_path / "photos").iterdir()] == [saved.name]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header lies about its size."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_a_small_jpeg_whose_header_claims_16000_by_16000_pixels_is_refused():
    with pytest.raises(ValueError, match="16000x16000"):
        decode_photo(base64.b64encode(jpeg_claiming(16000, 16000)).decode())


def test_a_large_photo_is_stored_upright_at_most_1024_pixels_without_its_exif(tmp_path):
    import io

    from PIL import Image

    landscape = Image.new("RGB", (2000, 1000), (30, 120, 200))
    landscape.paste((250, 250, 0), (0, 0, 1000, 1000))  # left half yellow
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, show it rotated 90° clockwise
    exif[0x010F] = "Phone maker"
    out = io.BytesIO()
    landscape.save(out, "JPEG", exif=exif)
    stored = decode_photo(base64.b64encode(out.getvalue()).decode())
    with Image.open(io.BytesIO(stored.data)) as image:
        assert image.size == (512, 1024)  # upright, and no side above 1024
        assert not image.getexif()
        top, bottom = image.getpixel((256, 10)), image.getpixel((256, 1010))
    assert top[2] < 100 < bottom[2]  # turned clockwise: the yellow left half is now at the top


def test_photos_over_the_quota_or_into_the_disks_reserve_are_refused_and_leave_no_file(tmp_path, monkeypatch):
    from board.mqtt import photos

    photo = decode_photo(base64.b64encode(png(3, 2)).decode())
    monkeypatch.setattr(photos, "PHOTO_QUOTA_BYTES", len(photo.data) * 2 + 10)
    photo.save(tmp_path)
    photo.save(tmp_path)
    with pytest.raises(photos.NoRoomForPhoto, match="quota"):
        photo.save(tmp_path)
    monkeypatch.setattr(photos, "PHOTO_QUOTA_BYTES", 2**40)
    monkeypatch.setattr(photos, "FREE_SPACE_RESERVE_BYTES", 2**62)
    with pytest.raises(photos.NoRoomForPhoto, match="free for the database"):
        photo.save(tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize(
    "data, why",
    [
        (b"hello", "not an image"),
        (png(3, 2)[:40], "truncated"),
        (png(3, 2).replace(b"IDAT", b"IDAX"), "damaged"),
        (png(100_000, 100_000), "a bitmap too large to hold"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "a JPEG without frame"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (PHOTO_MAX_BYTES + 1), "too many bytes"),
    ],
)
def test_photos_that_are_not_small_decodable_images_are_refused(data, why):
    assert (
        refused("person/add", {"name": "Sanne", "photo": base64.b64encode(data).decode()}) == ErrorCode.INVALID_REQUEST
    ), why


def test_photo_text_must_be_strict_base64():
    assert refused("person/add", {"name": "Sanne", "photo": "not base64!"}) == ErrorCode.INVALID_REQUEST


def test_an_error_message_does_not_echo_a_10_kB_field_name():
    with pytest.raises(CommandError) as refusal:
        validate("health", {"x" * 10_000: 1, "y" * 10_000: 2})
    assert refusal.value.code == ErrorCode.INVALID_REQUEST and len(refusal.value.message) < 300
