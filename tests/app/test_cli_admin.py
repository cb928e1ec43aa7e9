"""Looking after a wall from the Pi itself: the admin commands, as a user types them."""

import csv
import io
import json
import re
import shlex
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.app.test_cli import WALLBOARD, wallboard

README = Path(__file__).resolve().parents[2] / "README.md"
# Sanne hangs in A1, Mo confirms her attempt, she moves up to B1; Ilse hangs in A2.
REHEARSAL = [
    {"t": 1, "reader": "A1", "tags": ["04A1B2C3D4E5F6"]},
    {"t": 2, "reader": "A2", "tags": ["04A1B2C3D4E5F8"]},
    {"t": 5, "reader": "A1", "tags": ["04A1B2C3D4E5F6", "C0AC0001"]},
    {"t": 6, "reader": "A1", "tags": ["04A1B2C3D4E5F6"]},
    {"t": 10, "reader": "A1", "tags": []},
    {"t": 12, "reader": "B1", "tags": ["04A1B2C3D4E5F6"]},
]


def readme_commands(after_heading: str) -> list[list[str]]:
    """The wallboard commands of the README's shell blocks under a heading, comments removed."""
    text = README.read_text(encoding="utf-8")
    section = text.split(after_heading, 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if line.startswith(".venv/bin/wallboard "):
                words = shlex.split(line, comments=True)
                commands.append(words[1:])
    return commands


def an_hour_ago() -> str:
    """Local time of the example wall an hour ago, as `--start` takes it."""
    return (datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")


def phone_photo(path: Path) -> None:
    """A landscape JPEG of 1600x1200 pixels with the EXIF note "turn 90° clockwise to view"."""
    image = Image.new("RGB", (1600, 1200), "white")
    image.paste((200, 30, 30), (0, 0, 400, 1200))  # a red band on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise
    image.save(path, "JPEG", exif=exif)


@pytest.fixture
def rehearsal(tmp_path):
    path = tmp_path / "rehearsal.jsonl"
    path.write_text("".join(json.dumps(step) + "\n" for step in REHEARSAL), encoding="utf-8")
    return path


def test_the_readme_setup_and_admin_examples_work_as_written(tmp_path, rehearsal):
    setup = readme_commands("## Setting up a wall")
    assert ["coach", "add", "Ilse", "--badge", "C0AC0002", "--person", "Ilse"] in setup
    phone_photo(tmp_path / "sanne.jpg")
    for command in setup:
        if command[0] == "run":
            # The service would run until stopped; what it records, a replay records too.
            # Its start is an hour ago, so `period close` below closes the period of the attempt.
            wallboard("replay", str(rehearsal), "--record", "--start", an_hour_ago(), cwd=tmp_path)
            continue
        if command[0] == "export":
            continue  # below, with its output
        result = wallboard(*command, cwd=tmp_path)
        assert "Traceback" not in result.stderr
    people = wallboard("person", "list", "--archived", cwd=tmp_path).stdout
    assert re.search(r"Sanne de Vries\s+B1", people) and re.search(r"Ilse\s+B3", people)
    assert re.search(r"Daan .*\(gearchiveerd\)", people)
    attempts = wallboard("export", "attempts", "--period", "last", cwd=tmp_path).stdout
    rows = list(csv.DictReader(io.StringIO(attempts)))
    assert [(row["person_name"], row["coach_name"], row["voided"]) for row in rows] == [("Sanne", "Mo", "true")]


def test_closing_a_period_prints_its_harvest_in_the_walls_language(tmp_path, rehearsal):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", "--card", "04A1B2C3D4E5F6", cwd=tmp_path)
    wallboard("person", "add", "Ilse", "--card", "04A1B2C3D4E5F8", cwd=tmp_path)
    wallboard("coach", "add", "Mo", "--badge", "C0AC0001", cwd=tmp_path)
    refused = wallboard("period", "close", cwd=tmp_path, check=False)
    assert (
        refused.returncode == 2
        and refused.stderr == "Fout: er loopt nog geen periode: de muur heeft nog niet gedraaid\n"
    )
    wallboard("replay", str(rehearsal), "--record", "--start", an_hour_ago(), cwd=tmp_path)
    out = wallboard("period", "close", cwd=tmp_path).stdout
    assert "afgesloten met 1 pogingen" in out
    assert "  Grootste klimmer: Sanne klom 1 niveau omhoog, van Start naar Onderweg." in out
    assert "  Eerste poging: Voor het eerst geprobeerd: Sanne. Welkom!" in out


def test_refusals_are_one_line_in_the_walls_language_and_change_nothing(tmp_path):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", "--card", "04A1B2C3D4E5F6", cwd=tmp_path)
    before = wallboard("export", "events", cwd=tmp_path).stdout
    for command, message in [
        (["person", "rename", "Saskia", "Sas"], "Fout: er is niemand die 'Saskia' heet"),
        (["person", "add", "Daan", "--card", "04:A1:B2:C3:D4:E5:F6"], "Fout: kaart 04A1B2C3D4E5F6 is al van Sanne"),
        (["attempt", "void", "7", "--reason", "x"], "Fout: er is geen poging met id 7"),
        (["move", "correct", "Sanne", "Z9", "--reason", "x"], "Fout: er is geen vak Z9"),
        (["coach", "remove", "Mo"], "Fout: er is geen coach die 'Mo' heet"),
        (
            ["export", "attempts", "--period", "2026-12-01..2026-11-01"],
            "Fout: 2026-12-01..2026-11-01: de laatste dag ligt voor de eerste",
        ),
    ]:
        result = wallboard(*command, cwd=tmp_path, check=False)
        assert (result.returncode, result.stderr) == (2, message + "\n")
    assert wallboard("export", "events", cwd=tmp_path).stdout == before


def test_a_phone_photo_is_stored_upright_small_and_as_jpeg(tmp_path):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", cwd=tmp_path)
    phone_photo(tmp_path / "IMG_0001.JPG")
    wallboard("person", "photo", "Sanne", "IMG_0001.JPG", cwd=tmp_path)
    stored = list((tmp_path / "data" / "photos").iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".jpeg"
    with Image.open(stored[0]) as photo:
        assert photo.format == "JPEG" and photo.size == (768, 1024)  # turned upright, longest side 1024
        red, green, _blue = photo.getpixel((384, 50))  # the band is now at the top
        assert red > 150 and green < 100


def test_a_file_that_is_no_photo_is_refused_and_nothing_is_stored(tmp_path):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", cwd=tmp_path)
    (tmp_path / "notes.jpg").write_text("not a picture")
    result = wallboard("person", "photo", "Sanne", "notes.jpg", cwd=tmp_path, check=False)
    assert result.returncode == 2 and result.stderr.startswith("Fout: notes.jpg: geen bruikbare foto")
    assert not (tmp_path / "data" / "photos").exists() or not any((tmp_path / "data" / "photos").iterdir())


def test_a_replay_uses_a_scratch_copy_unless_told_to_record(tmp_path, rehearsal):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", "--card", "04A1B2C3D4E5F6", cwd=tmp_path)
    wallboard("person", "add", "Ilse", "--card", "04A1B2C3D4E5F8", cwd=tmp_path)
    wallboard("coach", "add", "Mo", "--badge", "C0AC0001", cwd=tmp_path)
    before = wallboard("export", "events", cwd=tmp_path).stdout
    replayed = wallboard("replay", str(rehearsal), "--start", "2026-11-23T09:00:00", cwd=tmp_path).stdout
    events = [json.loads(line) for line in replayed.splitlines()]
    assert [(e["type"], e.get("person", {}).get("name")) for e in events if e["type"] != "period_started"] == [
        ("card_placed", "Sanne"),
        ("card_placed", "Ilse"),
        ("attempt_confirmed", "Sanne"),
        ("card_moved", "Sanne"),
    ]
    assert events[-1]["at"].startswith("2026-11-23T09:00:12")
    assert wallboard("export", "events", cwd=tmp_path).stdout == before
    wallboard("replay", str(rehearsal), "--record", "--start", "2026-11-23T09:00:00", cwd=tmp_path)
    assert len(wallboard("export", "attempts", cwd=tmp_path).stdout.splitlines()) == 2  # header + Sanne's


def test_the_admin_commands_have_help(tmp_path):
    for command in (
        ["person", "list"],
        ["person", "rename"],
        ["person", "archive"],
        ["person", "photo"],
        ["coach", "list"],
        ["coach", "remove"],
        ["goal", "set"],
        ["attempt", "list"],
        ["attempt", "void"],
        ["move", "correct"],
        ["period", "close"],
        ["export"],
        ["replay"],
    ):
        assert "Gebruik:" in wallboard(*command, "--help", cwd=tmp_path).stdout
    assert Path(WALLBOARD).exists()


def pdf_pages(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "72", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


def test_the_harvest_report_is_a_pdf_of_a4_pages_in_the_walls_language(tmp_path, rehearsal):
    wallboard("init", cwd=tmp_path)
    wallboard("person", "add", "Sanne", "--card", "04A1B2C3D4E5F6", cwd=tmp_path)
    wallboard("person", "add", "Ilse", "--card", "04A1B2C3D4E5F8", cwd=tmp_path)
    wallboard("coach", "add", "Mo", "--badge", "C0AC0001", cwd=tmp_path)
    wallboard("replay", str(rehearsal), "--record", "--start", an_hour_ago(), cwd=tmp_path)
    wallboard("period", "close", cwd=tmp_path)
    out = wallboard("harvest", "--period", "last", "--out", "oogst.pdf", cwd=tmp_path).stdout
    assert out == "Oogstrapport geschreven: oogst.pdf (3 pagina's)\n"
    pages = pdf_pages(tmp_path / "oogst.pdf", tmp_path)
    assert len(pages) == 3
    for page in pages:
        with Image.open(page) as image:
            assert image.size == (596, 842)  # A4 at 72 dpi (8.27 × 11.69 in, rounded up)
    words = subprocess.run(
        ["pdftotext", "-layout", "oogst.pdf", "-"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Oogst · muur wall",
        "Grootste klimmer",
        "Sanne klom 1 niveau omhoog, van Start naar Onderweg.",
        "Pogingen per dag",
        "Per persoon",
        "Per coach",
        "Wat werkte?",
        "Wat gaan we nu doen?",
    ):
        assert expected in words
    wallboard("harvest", "--period", "last", "--out", "poster.pdf", "--poster", "--language", "en", cwd=tmp_path)
    (tmp_path / "poster").mkdir()
    (poster,) = pdf_pages(tmp_path / "poster.pdf", tmp_path / "poster")
    with Image.open(poster) as image:
        assert image.size == (842, 1191)  # A3
    english = subprocess.run(["pdftotext", "poster.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "Biggest climber" in english and "What worked?" in english
