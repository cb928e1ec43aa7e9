"""The `wallboard` command in the wall's language: its help texts and click's own words.

Our words are set on the click objects before click parses (`localise`): the help of
every command and option, and the placeholders of usage lines, all from
board/core/i18n.py. Click's words ("Usage:", "Error: No such option …") are built
inside click through the classic gettext API (`from gettext import gettext as _` in
each of its modules), so gettext's process-wide settings are the one hook click
offers: a translation file for a text domain, that domain made current, and the
language in LANGUAGE. `click_speaks` writes that file from the same catalogue into a
private temporary folder (no second catalogue to keep in step), sets the three for
one command and puts them back afterwards (programs the command starts meanwhile,
like the doctor's systemctl, inherit LANGUAGE: it only picks their message language).
Replacing click's `_` functions, or re-wording its errors after the fact, would lean
on click's internals and miss the messages its parser builds deep down.
"""

import gettext
import inspect
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from board.core.i18n import click_words, command_help, option_help, placeholder

log = logging.getLogger(__name__)

DOMAIN = "wallboard-click"


def localise(
    command: click.Command, language: str, parent: click.Context | None = None, path: tuple[str, ...] = ()
) -> None:
    """Give `command` and everything under it its help and placeholders in `language`.

    English command help is the command's docstring; every other text comes from the
    catalogue, so switching back and forth in one process leaves nothing behind. The
    help option is made here, as click would while parsing, to give it its text: click
    keeps the one it made first.
    """
    key = " ".join(path)
    command.help = command_help(key, language) or inspect.getdoc(command.callback)
    command.short_help = None
    command.options_metavar = placeholder("[OPTIONS]", language) or "[OPTIONS]"
    context = click.Context(command, parent=parent, **command.context_settings)
    help_option = command.get_help_option(context)
    if help_option is not None:
        help_option.help = option_help(key, "--help", language)
    for param in command.params:
        if isinstance(param, click.Option):
            param.help = option_help(key, max(param.opts, key=len), language)
            param.metavar = placeholder(param.type.name, language)  # None: click's own, like [nl|en]
        elif param.name is not None:
            param.metavar = placeholder(param.name, language)
    if isinstance(command, click.Group):
        command.subcommand_metavar = placeholder("COMMAND [ARGS]...", language) or "COMMAND [ARGS]..."
        for name, sub in command.commands.items():
            localise(sub, language, context, (*path, name))


@contextmanager
def click_speaks(language: str) -> Iterator[None]:
    """Click's own words in `language` while the block runs (English needs nothing)."""
    words, counted = click_words(language)
    if not words:
        yield
        return
    try:
        scratch = tempfile.TemporaryDirectory(prefix="wallboard-words-")
        target = Path(scratch.name) / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True)
        target.write_bytes(mo_file(words, counted))
    except OSError as error:  # no writable temporary folder: our words still speak the language
        log.warning("click's own words stay English: %s", error)
        yield
        return
    with scratch as folder:
        domain, environment = gettext.textdomain(), os.environ.get("LANGUAGE")
        gettext.bindtextdomain(DOMAIN, folder)
        gettext.textdomain(DOMAIN)
        os.environ["LANGUAGE"] = language
        try:
            yield
        finally:
            gettext.textdomain(domain)
            if environment is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = environment


def mo_file(words: dict[str, str], counted: dict[tuple[str, str], tuple[str, str]]) -> bytes:
    """A GNU .mo file, the format gettext reads, holding `words` and the (one, many) `counted` ones."""
    header = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"
    entries = {"": header, **words, **{"\0".join(ids): "\0".join(texts) for ids, texts in counted.items()}}
    originals, translations = zip(*sorted((key.encode(), value.encode()) for key, value in entries.items()))
    count = len(entries)
    offset = 7 * 4 + 2 * 8 * count  # the header, then two tables of (length, offset)
    tables, blob = [], b""
    for strings in (originals, translations):
        table = []
        for string in strings:
            table.append((len(string), offset + len(blob)))
            blob += string + b"\0"
        tables.append(table)
    header_fields = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, offset)
    pairs = b"".join(struct.pack("<2I", *pair) for table in tables for pair in table)
    return header_fields + pairs + blob
