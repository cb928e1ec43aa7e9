"""`wallboard` speaks the wall's language: help, click's own words and usage errors.

The wall's language is the config's `language`; without a readable config, Dutch.
"""

import os
import re
import string
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from board.cli import main
from board.core.i18n import click_words, command_help, option_help, placeholder
from board.dev.demo import EXAMPLE_CONFIG
from tests.app.test_cli import wallboard

# What click itself says in English, in help pages and errors: none of it on a Dutch wall.
ENGLISH_CLICK_WORDS = (
    "Usage",
    "Options",
    "Commands",
    "Show this message and exit",
    "Show the version and exit",
    "default",
    "required",
    "OPTIONS",
    "COMMAND",
    "ARGS",
    "TEXT",
    "INTEGER",
    "FLOAT",
    "FILE",
    "DIRECTORY",
    "PATH",
    "NAME",
    "Error",
    "Try",
    "for help",
    "No such option",
    "Did you mean",
    "Missing argument",
    "Missing option",
    "Invalid value",
    "is not",
    "Got unexpected",
)
# And the other way round: an English wall's help has none of the Dutch words.
DUTCH_CLICK_WORDS = ("Gebruik", "Opties", "Commando's", "Toon deze hulp", "standaard", "verplicht", "OPTIES", "Fout")


def english_click_words_in(output: str) -> list[str]:
    return [word for word in ENGLISH_CLICK_WORDS if re.search(rf"\b{re.escape(word)}\b", output)]


def wall(tmp_path: Path, language: str) -> Path:
    """A folder with the example wall's config (what `init` writes), speaking `language`."""
    example = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert 'language = "nl"' in example
    (tmp_path / "wallboard.toml").write_text(example.replace('language = "nl"', f'language = "{language}"'))
    return tmp_path


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()):
    """Every command under `group`, as the words after `wallboard`, with its click object."""
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def test_the_help_of_a_dutch_wall_has_no_english_click_words(tmp_path):
    wall(tmp_path, "nl")
    top = wallboard("-h", cwd=tmp_path).stdout
    assert top.startswith("Gebruik: wallboard [OPTIES] COMMANDO [ARGUMENTEN]...")
    assert "Opties:" in top and "Commando's:" in top and "Toon deze hulp en stop." in top
    assert "Toon de versie en stop." in top and "Configuratiebestand (of zet WALLBOARD_CONFIG)." in top
    person = wallboard("person", "-h", cwd=tmp_path).stdout
    assert "Registreer iemand, eventueel met de kaart." in person
    harvest = wallboard("harvest", "--help", cwd=tmp_path).stdout
    assert "--period TEKST" in harvest and "[standaard: last]" in harvest and "--show GETAL" in harvest
    rename = wallboard("person", "rename", "-h", cwd=tmp_path).stdout
    assert rename.startswith("Gebruik: wallboard person rename [OPTIES] NAAM NIEUWE_NAAM")
    for output in (top, person, harvest, rename):
        assert english_click_words_in(output) == []


def test_a_usage_error_on_a_dutch_wall_names_the_bad_option_in_dutch(tmp_path):
    wall(tmp_path, "nl")
    typo = wallboard("person", "list", "--archieved", cwd=tmp_path, check=False)
    assert typo.returncode == 2 and typo.stdout == ""
    assert typo.stderr.splitlines() == [
        "Gebruik: wallboard person list [OPTIES]",
        "Probeer 'wallboard person list --help' voor hulp.",
        "",
        "Fout: Optie '--archieved' bestaat niet. Bedoel je '--archived'?",
    ]
    too_few = wallboard("db", "backup", "--keep", "0", cwd=tmp_path, check=False).stderr
    assert "Fout: Ongeldige waarde voor '--keep': 0 ligt niet in het bereik x>=1." in too_few
    missing = wallboard("person", "rename", "Sanne", cwd=tmp_path, check=False).stderr
    assert "Fout: Ontbrekend argument 'NIEUWE_NAAM'." in missing
    not_a_number = wallboard("goal", "set", "veel", cwd=tmp_path, check=False).stderr
    assert "Fout: Ongeldige waarde voor 'POGINGEN': 'veel' is geen geldig getal." in not_a_number
    for output in (typo.stderr, too_few, missing, not_a_number):
        assert english_click_words_in(output) == []


def test_an_english_wall_has_english_help_and_errors(tmp_path):
    wall(tmp_path, "en")
    top = wallboard("-h", cwd=tmp_path).stdout
    assert top.startswith("Usage: wallboard [OPTIONS] COMMAND [ARGS]...")
    assert "Show this message and exit." in top and "Config file (or set WALLBOARD_CONFIG)." in top
    assert "End the period now" in wallboard("period", "close", "--help", cwd=tmp_path).stdout
    harvest = wallboard("harvest", "-h", cwd=tmp_path).stdout
    assert "--period TEXT" in harvest and "[default: last]" in harvest
    typo = wallboard("person", "list", "--archieved", cwd=tmp_path, check=False)
    assert typo.returncode == 2
    assert "Error: No such option '--archieved'. Did you mean '--archived'?" in typo.stderr
    assert "Try 'wallboard person list --help' for help." in typo.stderr
    missing = wallboard("person", "rename", "Sanne", cwd=tmp_path, check=False).stderr
    assert "Error: Missing argument 'NEW_NAME'." in missing
    for output in (top, harvest, typo.stderr, missing):
        assert [word for word in DUTCH_CLICK_WORDS if word in output] == []


def test_without_a_readable_config_the_command_speaks_dutch_and_the_config_it_names_decides(tmp_path):
    assert wallboard("-c", "nowhere.toml", "-h", cwd=tmp_path).stdout.startswith("Gebruik:")
    (tmp_path / "english").mkdir()
    english = wall(tmp_path / "english", "en") / "wallboard.toml"
    assert wallboard("--config", str(english), "person", "-h", cwd=tmp_path).stdout.startswith("Usage:")
    refused = wallboard("-c", str(english), "goal", "set", "2000000", cwd=tmp_path, check=False)
    assert "Error: Invalid value for 'ATTEMPTS': 2000000 is not in the range 0<=x<=1000000." in refused.stderr


@pytest.fixture
def english_wall(tmp_path):
    return wall(tmp_path, "en") / "wallboard.toml"


@pytest.fixture
def umask_kept():
    """The command sets the process umask (0o027) for the wall's files; in-process runs give it back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def test_every_help_page_is_whole_in_either_language_and_switching_leaves_nothing_behind(
    tmp_path, english_wall, umask_kept
):
    """In one process, Dutch then English then Dutch again: every command's help, click's words included."""
    dutch_wall = tmp_path / "dutch.toml"
    dutch_wall.write_text(english_wall.read_text(encoding="utf-8").replace('language = "en"', 'language = "nl"'))
    runner = CliRunner()
    pages = [("nl", ()), *(("nl", path) for path, _ in command_paths())]
    pages += [("en", path) for _, path in pages] + pages
    for language, path in pages:
        config = dutch_wall if language == "nl" else english_wall
        result = runner.invoke(main, ["-c", str(config), *path, "--help"], prog_name="wallboard")
        assert result.exit_code == 0, result.output
        if language == "nl":
            assert english_click_words_in(result.output) == [], path
        else:
            assert [word for word in DUTCH_CLICK_WORDS if word in result.output] == [], path


def test_every_command_option_and_argument_has_its_dutch_and_english_text():
    assert command_help("", "nl") is not None
    assert [" ".join(path) for path, _ in command_paths() if command_help(" ".join(path), "nl") is None] == []
    lacking = []
    for path, command in [((), main), *command_paths()]:
        for param in command.params:
            where = " ".join((*path, max(param.opts, key=len)))
            if isinstance(param, click.Option):
                texts = [option_help(" ".join(path), max(param.opts, key=len), language) for language in ("nl", "en")]
            elif isinstance(param.type, click.Choice):
                continue  # shown as its choices, {attempts|moves|…}
            else:
                texts = [placeholder(param.name, language) for language in ("nl", "en")]
            if None in texts:
                lacking.append(where)
    assert lacking == []


def test_click_words_keep_clicks_fields_in_dutch():
    """A Dutch text may leave a field out (click passes more than a sentence needs), never invent one."""
    words, counted = click_words("nl")
    pairs = [*words.items(), *((ids[0], texts[0]) for ids, texts in counted.items())]
    pairs += [(ids[1], texts[1]) for ids, texts in counted.items()]

    def fields(template: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field}

    assert [english for english, dutch in pairs if not fields(dutch) <= fields(english)] == []
