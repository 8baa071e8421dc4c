"""XLIFF 1.2 and 2.x as documents: targets filled as a CAT tool's pre-translation fills them
(formats/xliff_document.py), through the real engine."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from lxml import etree
from translate.storage.xliff import xlifffile

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentTooComplex, NoTranslatableText, UndecodableDocument
from dragoman.formats.documents import extract, format_for, format_of, format_of_content_type, inject

XLIFF_1 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="a.html" source-language="en" datatype="html">
    <body>
      <trans-unit id="1">
        <source>The <g id="1">red</g> house<x id="2"/> is big.</source>
      </trans-unit>
      <group id="g" translate="no">
        <trans-unit id="2"><source>The cat</source></trans-unit>
      </group>
      <trans-unit id="3">
        <source>I like <bpt id="1">&lt;b&gt;</bpt>dogs<ept id="1">&lt;/b&gt;</ept>.</source>
        <target state="final">Me encantan los perros.</target>
      </trans-unit>
      <trans-unit id="4">
        <source>The black cat</source>
        <target state="needs-translation"/>
        <note>a note</note>
      </trans-unit>
      <trans-unit id="5"><source>1234</source></trans-unit>
      <trans-unit id="6">
        <source>The house is big. I like dogs.</source>
        <seg-source><mrk mtype="seg" mid="1">The house is big.</mrk> <mrk mtype="seg" mid="2"
          >I like dogs.</mrk></seg-source>
      </trans-unit>
    </body>
  </file>
</xliff>
"""

XLIFF_2 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="en">
  <file id="f1">
    <unit id="u1">
      <segment>
        <source>The <pc id="1" dataRefStart="d1">red</pc> house<ph id="2"/> is <mrk id="m1" translate="no"
          >Big</mrk>.</source>
      </segment>
      <ignorable><source> </source></ignorable>
      <segment state="final"><source>I like dogs.</source><target>Me encantan los perros.</target></segment>
      <segment><source>The <sc id="3"/>black<ec startRef="3"/> cat</source></segment>
    </unit>
    <unit id="u2" translate="no"><segment><source>The cat</source></segment></unit>
  </file>
</xliff>
"""

Q1 = "{urn:oasis:names:tc:xliff:document:1.2}"
Q2 = "{urn:oasis:names:tc:xliff:document:2.0}"


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def translate(data: bytes, engine: ApertiumEngine, name: str = "a.xlf") -> bytes:
    document = extract(data, format_for(name))
    return inject(document, engine.translate(document.segments, "en", "es"), target_language="es")


def unit(root: etree._Element, q: str, ident: str) -> etree._Element:
    return next(element for element in root.iter(q + "trans-unit", q + "unit") if element.get("id") == ident)


def inner(element: etree._Element | None) -> str:
    assert element is not None
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return text[text.index(">") + 1 : text.rindex("<")].replace(f' xmlns="{Q1[1:-1]}"', "")


def test_xliff_1_2_targets_are_filled_with_their_inline_codes_around_their_words(engine: ApertiumEngine) -> None:
    out = translate(XLIFF_1.encode(), engine)
    root = etree.fromstring(out)
    assert root.find(Q1 + "file").get("target-language") == "es"  # type: ignore[union-attr]
    first = unit(root, Q1, "1").find(Q1 + "target")
    assert inner(first) == 'La casa <g id="1">roja</g><x id="2"/> es grande.'
    assert first is not None and first.get("state") == "translated"
    fourth = unit(root, Q1, "4")
    assert [etree.QName(child).localname for child in fourth] == ["source", "target", "note"]
    assert inner(fourth.find(Q1 + "target")) == "El gato negro"
    assert inner(unit(root, Q1, "5").find(Q1 + "target")) == "1234"  # no word: the source, as it is
    segmented = unit(root, Q1, "6").find(Q1 + "target")
    assert segmented is not None and [inner(mark) for mark in segmented] == [
        "La casa es grande.",
        "Me gustan los perros.",
    ]


def test_xliff_1_2_leaves_units_not_to_translate_and_reviewed_targets_as_they_were(engine: ApertiumEngine) -> None:
    out = translate(XLIFF_1.encode(), engine)
    root = etree.fromstring(out)
    assert unit(root, Q1, "2").find(Q1 + "target") is None
    kept = unit(root, Q1, "3").find(Q1 + "target")
    assert kept is not None and kept.get("state") == "final" and kept.text == "Me encantan los perros."
    # a CAT tool reads every other unit translated, ours as drafts to review (not approved)
    units = {unit.xmlelement.get("id"): unit for unit in xlifffile.parsestring(out).units}
    assert {name for name, unit in units.items() if unit.target} == {"1", "3", "4", "5", "6"}
    assert units["1"].isfuzzy() and units["1"].target == "La casa roja es grande."


def test_xliff_2_segments_are_filled_and_marked_translated(engine: ApertiumEngine) -> None:
    out = translate(XLIFF_2.encode(), engine, "a.xliff")
    root = etree.fromstring(out)
    assert root.get("trgLang") == "es"
    first, final, third = unit(root, Q2, "u1").iter(Q2 + "segment")
    assert first.get("state") == "translated"
    target = inner(first.find(Q2 + "target")).replace(f' xmlns="{Q2[1:-1]}"', "")
    assert (
        target == 'La casa <pc id="1" dataRefStart="d1">roja</pc><ph id="2"/> es <mrk id="m1" translate="no">Big</mrk>.'
    )
    assert final.get("state") == "final" and final.find(Q2 + "target").text == "Me encantan los perros."  # type: ignore[union-attr]
    assert '<sc id="3"/>' in inner(third.find(Q2 + "target")) and "gato" in inner(third.find(Q2 + "target"))
    assert unit(root, Q2, "u2").find(f"{Q2}segment/{Q2}target") is None
    ignorable = unit(root, Q2, "u1").find(Q2 + "ignorable")
    assert ignorable is not None and ignorable.find(Q2 + "target") is None


def test_xliff_is_named_by_its_content_types() -> None:
    assert format_of_content_type("application/x-xliff+xml") == format_for("a.xlf") == format_for("b.XLIFF")
    assert format_of_content_type("application/xliff+xml") == format_for("a.xlf")


def test_an_xliff_file_translated_already_has_nothing_to_translate() -> None:
    done = XLIFF_2.replace("<segment>", '<segment state="reviewed">').replace(
        "</source>\n      </segment>", "</source><target>Hecho</target></segment>"
    )
    done = done.replace(
        'cat</source></segment>\n    </unit>\n    <unit id="u2"',
        'cat</source><target>x</target></segment>\n    </unit>\n    <unit id="u2"',
    )
    with pytest.raises(NoTranslatableText):
        extract(done.encode(), format_for("a.xlf"))


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><xliff version="3.0" xmlns="urn:x"><file/></xliff>',
        b"<html><body>The cat</body></html>",
        b'<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file><body>',
    ],
)
def test_what_is_not_xliff_1_2_or_2_is_refused_clearly(data: bytes) -> None:
    with pytest.raises(UndecodableDocument, match="XLIFF document could not be read"):
        extract(data, format_for("a.xlf"))


def test_entities_are_never_expanded_a_doctype_is_refused() -> None:
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE xliff [<!ENTITY l0 "lol">{laughs}]>'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file><body>'
        '<trans-unit id="1"><source>The cat &l9;</source></trans-unit></body></file></xliff>'
    ).encode()
    started = time.monotonic()
    with pytest.raises(UndecodableDocument, match="DOCTYPE"):
        extract(data, format_for("a.xlf"))
    assert time.monotonic() - started < 2


def test_deeply_nested_inline_codes_are_refused_not_recursed_into() -> None:
    depth = 100_000
    data = (
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file><body><trans-unit id="1"><source>'
        + '<g id="1">' * depth
        + "The cat"
        + "</g>" * depth
        + "</source></trans-unit></body></file></xliff>"
    ).encode()
    with pytest.raises(UndecodableDocument, match="could not be read"):
        extract(data, format_for("a.xlf"))


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "windows-1252"])
def test_an_xliff_file_in_the_encoding_its_declaration_names_is_read_and_written_back_in_it(
    encoding: str, engine: ApertiumEngine
) -> None:
    # Given an XLIFF file in Latin-1 or Windows-1252, with no byte-order mark, saying so in its declaration
    data = XLIFF_1.replace("UTF-8", encoding).replace("The black cat", "The black cat's café").encode(encoding)
    # When it is recognised by its content and translated
    assert format_of("catalogue", data).name == "XLIFF"
    out = translate(data, engine)
    # Then the translation is in the same encoding, declared, and the accented word came through
    assert out.startswith(f"<?xml version='1.0' encoding='{encoding}'?>".encode())
    root = etree.fromstring(out)
    assert "caf" in inner(unit(root, Q1, "4").find(Q1 + "target"))
    assert "é".encode(encoding) in out


def test_an_xliff_file_is_screened_as_markup_a_word_spelt_in_references_counts_its_letters() -> None:
    # Given a 1,001-letter word spelt as character references, which plain text would take for many short words
    word = "&#97;" * 1001
    data = XLIFF_1.replace("The black cat", f"The {word} cat").encode()
    # When it is taken apart, then it is refused as too complex, as the same word spelt plainly is
    with pytest.raises(DocumentTooComplex, match="a word of more than 1000 characters"):
        extract(data, format_for("a.xlf"))
    # And the usual references (&lt; &amp;) between words are not letters of a word
    escaped = XLIFF_1.replace("The black cat", "x &lt; y " * 400 + "&amp;&amp;" * 300).encode()
    extract(escaped, format_for("a.xlf"))


def test_an_xliff_1_1_file_with_no_version_attribute_is_read_by_its_namespace(engine: ApertiumEngine) -> None:
    # Given an XLIFF 1.1 file as Weblate writes it: its namespace says the version, no attribute does
    data = (
        b"<?xml version='1.0' encoding='UTF-8'?>\n"
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.1"><file><body>'
        b'<trans-unit id="1"><source>The black cat</source></trans-unit></body></file></xliff>'
    )
    out = translate(data, engine)
    assert inner(etree.fromstring(out).find(".//{urn:oasis:names:tc:xliff:document:1.1}target")) == "El gato negro"


def test_a_file_meant_for_another_language_is_translated_and_says_its_reviewed_targets_stay(
    engine: ApertiumEngine,
) -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="fr-FR"><file id="f">
 <unit id="a"><segment state="final"><source>The red house.</source><target>La maison rouge.</target></segment></unit>
 <unit id="b"><segment><source>The black cat.</source></segment></unit></file></xliff>"""
    document = extract(data, format_for("a.xlf"))
    out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es")
    assert b"La maison rouge." in out and b"El gato negro." in out
    [warning] = document.warnings
    assert warning.code == "TargetLanguageMismatch" and "fr-FR" in warning.message and "1 translated" in warning.message
    same = extract(data.replace(b"fr-FR", b"es-ES"), format_for("a.xlf"))
    inject(same, engine.translate(same.segments, "en", "es"), target_language="es")
    assert same.warnings == []
