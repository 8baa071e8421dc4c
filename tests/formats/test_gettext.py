"""gettext catalogues (.po) filled as a translation tool fills them (formats/gettext.py)."""

from __future__ import annotations

from collections.abc import Iterator

import polib
import pytest

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import UndecodableDocument
from dragoman.formats.documents import extract, format_for, inject

CATALOGUE = r"""# A catalogue
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\n"
"Language: \n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: app.py:10
msgid "The cat is black."
msgstr ""

#: app.py:11
#, python-format
msgid "I like %(animal)s and {count} dogs.\n"
msgstr ""

msgid "The house is red."
msgid_plural "The houses are red."
msgstr[0] ""
msgstr[1] ""

msgid "Already done"
msgstr "Ya hecho"

#~ msgid "The red house"
#~ msgstr ""
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def test_untranslated_messages_are_filled_flagged_fuzzy_with_placeholders_kept(engine: ApertiumEngine) -> None:
    document = extract(CATALOGUE.encode(), format_for("messages.po"))
    assert document.characters == len("The cat is black.I like  and  dogs.\nThe house is red.The houses are red.")
    out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es").decode()
    catalogue = polib.pofile(out)
    by_id = {entry.msgid: entry for entry in catalogue}
    assert by_id["The cat is black."].msgstr == "El gato es negro."
    assert "fuzzy" in by_id["The cat is black."].flags  # a machine translation is a draft for review
    placeholders = by_id["I like %(animal)s and {count} dogs.\n"]
    assert "%(animal)s" in placeholders.msgstr and "{count}" in placeholders.msgstr
    assert placeholders.msgstr.endswith("\n") and "python-format" in placeholders.flags
    plural = by_id["The house is red."]
    assert plural.msgstr_plural[0] == "La casa es roja."
    assert set(plural.msgstr_plural) == {0, 1, 2}  # Spanish has three forms in CLDR
    assert plural.msgstr_plural[1] == plural.msgstr_plural[2] and "casas" in plural.msgstr_plural[1]
    assert by_id["Already done"].msgstr == "Ya hecho" and "fuzzy" not in by_id["Already done"].flags
    assert catalogue.metadata["Language"] == "es"
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=3;")
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == ["The red house"]


def test_a_file_that_is_not_a_catalogue_is_refused_clearly() -> None:
    with pytest.raises(UndecodableDocument, match="Gettext document could not be read"):
        extract(b"Hello world, this is not a catalogue\n", format_for("broken.po"))


def test_markup_references_and_command_line_options_in_messages_are_kept_as_written(engine: ApertiumEngine) -> None:
    """Django's admin catalogue: `<strong>` came back `<fuerte>`, `target="_blank"` translated, and a
    program's `--help` lost its options (`-a, --all` became `-Un, --todos`)."""
    catalogue = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Enter a new password for the user <strong>%(username)s</strong>."\nmsgstr ""\n\n'
        'msgid "View <a href=\\"https://docs.example.com/en/releases/#debug\\" target=\\"_blank\\">release notes</a>"\n'
        'msgstr ""\n\n'
        'msgid "  -a, --all   do not ignore the black cats &amp; dogs\\n"\nmsgstr ""\n'
    )
    document = extract(catalogue.encode(), format_for("django.po"))
    out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es").decode()
    entries = [entry.msgstr for entry in polib.pofile(out) if entry.msgid]
    assert "<strong>%(username)s</strong>" in entries[0] and "fuerte" not in entries[0]
    assert '<a href="https://docs.example.com/en/releases/#debug" target="_blank">' in entries[1]
    assert "</a>" in entries[1]
    assert entries[2].startswith("  -a, --all") and "&amp;" in entries[2] and entries[2].endswith("\n")


def test_a_translator_s_fuzzy_draft_is_kept_and_a_catalogue_without_header_says_its_charset(
    engine: ApertiumEngine,
) -> None:
    catalogue = 'msgid "The house is red."\nmsgstr ""\n\n#, fuzzy\nmsgid "The old cat"\nmsgstr "El gato viejo"\n'
    document = extract(catalogue.encode(), format_for("drafts.po"))
    out = polib.pofile(inject(document, engine.translate(document.segments, "en", "es"), target_language="es").decode())
    by_id = {entry.msgid: entry for entry in out}
    assert by_id["The house is red."].msgstr == "La casa es roja."
    assert by_id["The old cat"].msgstr == "El gato viejo" and "fuzzy" in by_id["The old cat"].flags  # theirs
    assert "charset=UTF-8" in out.metadata["Content-Type"]
