"""Photo files on the wall's disk: one per person who has a photo, nothing left over."""

import base64

import pytest

from board.core.errors import StoreError
from board.mqtt import api
from board.mqtt.commands import validate
from tests.mqtt.test_commands import png
from tests.wall.test_nothing_lost import FullDisk

PHOTO = base64.b64encode(png(3, 2)).decode()


def stored(wall) -> set[str]:
    folder = wall.config.photos_dir
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_a_photo_replaced_by_person_update_is_deleted(wall):
    added = api.person_add(wall.service, validate("person/add", {"name": "Noor", "photo": PHOTO}))["person"]
    updated = api.person_update(wall.service, validate("person/update", {"id": added["id"], "photo": PHOTO}))["person"]
    assert updated["photo"] != added["photo"]
    assert stored(wall) == {updated["photo"]}


def test_a_photo_whose_record_could_not_be_written_is_deleted(wall):
    with FullDisk(wall.store):
        for number in range(1000):  # fill the file's last free pages
            try:
                wall.service.add_person(f"Filler {number}")
            except StoreError:
                break
        with pytest.raises(StoreError):
            api.person_add(wall.service, validate("person/add", {"name": "Noor", "photo": PHOTO}))
    assert stored(wall) == set()


def test_photos_nobody_refers_to_are_removed_at_start(wall):
    kept = api.person_add(wall.service, validate("person/add", {"name": "Noor", "photo": PHOTO}))["person"]["photo"]
    (wall.config.photos_dir / "0123abcd.jpeg").write_bytes(b"left by a crash between file and record")
    (wall.config.photos_dir / "4567.partial").write_bytes(b"half written")
    api.remove_orphan_photos(wall.service)
    assert stored(wall) == {kept}
