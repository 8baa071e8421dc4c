"""XLIFF files of the human vendor (src/dragoman/connector/xliff.py, inline.py): built as XLIFF 1.2 and
2.0, read back by translate-toolkit as a CAT tool would and written with targets, and uploads checked
whole: every problem listed, hostile XML refused without being expanded or fetched."""

from __future__ import annotations

import copy
import html
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from translate.storage import factory, xliff2

from dragoman.connector import inline, xliff
from dragoman.connector.snapshots import field_hash
from dragoman.connector.xliff import SourceUnit, XliffJob, XliffRefused

NS = {"1.2": xliff.XLIFF_1, "2.0": xliff.XLIFF_2}
MARKUP = 'The <b>red</b> house<br/>by the <a href="/sea">sea</a>'


def unit(item: str, entity: str, name: str, text: str) -> SourceUnit:
    return SourceUnit(item, entity, name, text, field_hash(name, text))


JOB = XliffJob(
    "job-1",
    "en",
    "es",
    (
        unit("item-1", "chair", "name", "The red chair"),
        unit("item-1", "chair", "description", MARKUP),
        unit("item-2", "shelf/2", "name", "A & B < C"),
    ),
    instructions="Keep it short",
    due="2026-12-01T00:00:00Z",
)
SPANISH = {"The red chair": "La silla roja", "A & B < C": "A y B < C"}


def units_of(data: bytes, version: str) -> dict[str, etree._Element]:
    root = etree.fromstring(data)
    tag = "trans-unit" if version == "1.2" else "unit"
    return {element.get("id"): element for element in root.iter(f"{{{NS[version]}}}{tag}")}


def fill(data: bytes, version: str, targets: dict[str, str | None] | None = None) -> bytes:
    """`data` with each unit's target: its source's copy (codes kept), its text replaced by
    `targets[id]` when given (a unit whose target is None gets none), as an agency's tool would."""
    root = etree.fromstring(data)
    ns = NS[version]
    for element in root.iter(f"{{{ns}}}trans-unit" if version == "1.2" else f"{{{ns}}}segment"):
        owner = element if version == "1.2" else element.getparent()
        given = (targets or {}).get(owner.get("id"), "")
        if given is None:
            continue
        source = element.find(f"{{{ns}}}source")
        target = copy.deepcopy(source)
        target.tag = f"{{{ns}}}target"
        if given:
            for child in list(target):
                target.remove(child)
            target.text = given
        source.addnext(target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def problems(data: bytes, job: XliffJob = JOB) -> list[str]:
    with pytest.raises(XliffRefused) as refused:
        xliff.read(data, {job.target_language: job})
    assert refused.value.message.startswith("the XLIFF file is refused")
    return refused.value.problems


# --- building ---------------------------------------------------------------------------------


def test_a_1_2_file_carries_ids_hashes_the_job_and_markup_as_inline_codes() -> None:
    data = xliff.build(JOB, "1.2")
    root = etree.fromstring(data)
    assert root.tag == f"{{{xliff.XLIFF_1}}}xliff" and root.get("version") == "1.2"
    file = root.find(f"{{{xliff.XLIFF_1}}}file")
    assert file.get("original") == "dragoman-connector-job/job-1"
    assert (file.get("source-language"), file.get("target-language")) == ("en", "es")
    units = units_of(data, "1.2")
    assert list(units) == ["chair/name", "chair/description", "shelf%2F2/name"]
    notes = [note.text for note in units["chair/name"].iter(f"{{{xliff.XLIFF_1}}}note")]
    assert notes == [f"source-hash: {field_hash('name', 'The red chair')}"]
    source = units["chair/description"].find(f"{{{xliff.XLIFF_1}}}source")
    assert [(etree.QName(c).localname, c.get("id")) for c in source.iter() if c is not source] == [
        ("g", "1"), ("x", "2"), ("g", "3"),
    ]  # fmt: skip
    assert "<b>" not in "".join(source.itertext())  # no raw markup: tags are codes, not text
    assert b"instructions: Keep it short" in data and b"due: 2026-12-01T00:00:00Z" in data


def test_a_2_0_file_has_nmtoken_unit_ids_the_readable_id_as_name_and_the_hash_as_metadata() -> None:
    data = xliff.build(JOB, "2.0")
    root = etree.fromstring(data)
    assert root.get("version") == "2.0" and (root.get("srcLang"), root.get("trgLang")) == ("en", "es")
    units = units_of(data, "2.0")
    assert all(re.fullmatch(r"[A-Za-z0-9._:-]+", name) for name in units)
    assert [element.get("name") for element in units.values()] == ["chair/name", "chair/description", "shelf%2F2/name"]
    meta = units["chair_2f_name"].find(f".//{{{xliff.METADATA}}}meta")
    assert meta.get("type") == "source-hash" and meta.text == field_hash("name", "The red chair")
    source = units["chair_2f_description"].find(f".//{{{xliff.XLIFF_2}}}source")
    codes = [(etree.QName(c).localname, c.get("id")) for c in source.iter() if c is not source]
    assert codes == [("pc", "1"), ("ph", "2"), ("pc", "3")]


def test_unit_ids_stay_unique_when_entity_ids_hold_slashes() -> None:
    a, b = unit("i1", "a/b", "c", "x"), unit("i2", "a", "b/c", "y")
    for version in xliff.VERSIONS:
        assert xliff.unit_id(a, version) != xliff.unit_id(b, version)


def test_another_version_is_not_built() -> None:
    with pytest.raises(xliff.Invalid, match="1.2 or 2.0"):
        xliff.build(JOB, "1.1")


# --- a CAT tool's round trip (translate-toolkit) ----------------------------------------------


def test_translate_toolkit_reads_the_1_2_file_and_its_translations_come_back() -> None:
    store = factory.getobject(io.BytesIO(xliff.build(JOB, "1.2")))
    assert type(store).__name__ == "Xliff1File"
    units = [u for u in store.units if not u.isheader()]
    assert [u.source for u in units] == [
        "The red chair",
        "The red houseby the sea",
        "A & B < C",
    ]  # the <br/> is a code, not text
    assert units[0].getnotes() == f"source-hash: {field_hash('name', 'The red chair')}"
    for tool_unit in units:
        if tool_unit.source in SPANISH:
            tool_unit.target = SPANISH[tool_unit.source]
        else:  # the codes kept, as a CAT tool does with rich text
            tool_unit.rich_target = tool_unit.rich_source
    upload = xliff.read(bytes(store), {"es": JOB})
    assert upload.language == "es"
    assert upload.translations == {
        "item-1": {"name": "La silla roja", "description": MARKUP},
        "item-2": {"name": "A y B < C"},
    }


def test_translate_toolkit_s_factory_refuses_2_0_but_its_xliff2_reads_and_writes_it() -> None:
    data = xliff.build(JOB, "2.0")
    with pytest.raises(ValueError, match="2"):
        factory.getobject(io.BytesIO(data))
    store = xliff2.Xliff2File.parsestring(data)
    for tool_unit in store.units:
        if tool_unit.source in SPANISH:
            tool_unit.target = SPANISH[tool_unit.source]
        else:
            tool_unit.rich_target = tool_unit.rich_source
    assert xliff.read(bytes(store), {"es": JOB}).translations["item-1"]["description"] == MARKUP


@pytest.mark.parametrize("version", xliff.VERSIONS)
def test_codes_may_move_and_each_comes_back_as_the_original_tag(version: str) -> None:
    job = XliffJob("job-1", "en", "es", (unit("i", "e", "f", 'a <b>red</b> <i class="x">car</i>'),))
    data = xliff.build(job, version)
    root = etree.fromstring(data)
    ns = NS[version]
    source = next(root.iter(f"{{{ns}}}source"))
    target = copy.deepcopy(source)
    target.tag = f"{{{ns}}}target"
    first, second = list(target)
    target.text, first.text, second.text = "un ", "coche", "rojo"  # <g 1>coche</g> <g 2>rojo</g> swapped
    target.remove(second)
    target.insert(0, second)
    second.tail, first.tail = " ", ""
    target.text = "un "
    source.addnext(target)
    translated = xliff.read(etree.tostring(root), {"es": job}).translations["i"]["f"]
    assert translated == 'un <i class="x">rojo</i> <b>coche</b>'


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
            st.sampled_from(["<b>", "</b>", "<br/>", "<i>", "</i>", "<a href='x'>", "</a>", "&amp;", "<", ">"]),
        ),
        min_size=1,
        max_size=8,
    )
    .map("".join)
    .filter(str.strip),
    st.sampled_from(xliff.VERSIONS),
)
def test_any_text_comes_back_exactly_when_the_target_copies_the_source(text: str, version: str) -> None:
    assert inline.render(inline.parse(text)) == text
    job = XliffJob("job-1", "en", "es", (unit("i", "e", "f", text),))
    back = xliff.read(fill(xliff.build(job, version), version), {"es": job}).translations["i"]["f"]
    # a plain field exactly; a markup field with its stray `<`, `>` and bare `&` written as references
    assert back == (inline.confine(text, text) if inline.is_markup(text) else text)
    assert html.unescape(back) == html.unescape(text)


# --- uploads refused --------------------------------------------------------------------------


@pytest.mark.parametrize("version", xliff.VERSIONS)
def test_every_problem_of_a_bad_file_is_listed(version: str) -> None:
    data = xliff.build(JOB, version)
    ids = list(units_of(data, version))
    root = etree.fromstring(fill(data, version, {ids[0]: "   ", ids[2]: None}))
    ns = NS[version]
    units = {element.get("id"): element for element in root.iter(f"{{{ns}}}trans-unit", f"{{{ns}}}unit")}
    # the description's target drops code 1, adds code 9 and repeats code 2
    description = units[ids[1]]
    target = description.find(f".//{{{ns}}}target")
    single = "x" if version == "1.2" else "ph"
    for child in list(target):
        target.remove(child)
    target.text = "la casa"
    for code in ("2", "2", "9"):
        etree.SubElement(target, f"{{{ns}}}{single}", id=code)
    etree.SubElement(target, f"{{{ns}}}bpt", id="7").text = "<b>"
    # an unknown unit, and a duplicate of the first one
    parent = description.getparent()
    stranger = copy.deepcopy(description)
    stranger.set("id", "table/name")
    parent.append(stranger)
    parent.append(copy.deepcopy(units[ids[0]]))
    # the first unit's source changed and its hash is another's
    first_source = units[ids[0]].find(f".//{{{ns}}}source")
    first_source.text = "The blue chair"
    if version == "1.2":
        units[ids[0]].find(f"{{{ns}}}note").text = "source-hash: 00"
    else:
        units[ids[0]].find(f".//{{{xliff.METADATA}}}meta").text = "00"
    first, second, third = (f"unit {name!r}" for name in ids)
    elsewhere = "(the source changed, or the file is another job's)"
    assert problems(etree.tostring(root)) == [
        f"{first}: its source hash is not the one sent {elsewhere}",
        f"{first}: its source text is not the one sent {elsewhere}",
        f"{first}: its target is empty",
        f"{second}: inline code <{single} id='9'> is not one of the source's (added)",
        f"{second}: the target holds <bpt>, an inline element the file did not have",
        f"{second}: inline code(s) 2 appear more than once in the target",
        f"{second}: inline code(s) 1, 3 of the source are missing from the target",
        f"{third}: it has no target",
        "unit 'table/name' is not one of this job's units for es",
        f"{first} appears more than once",
    ]


def test_a_file_of_another_job_or_language_is_refused_saying_so() -> None:
    other = XliffJob("job-2", "fr", "de", JOB.units)
    data = fill(xliff.build(other, "1.2"), "1.2")
    found = problems(data)
    assert found == [
        "the file is not this job's (its <file original> is 'dragoman-connector-job/job-2'): was it downloaded "
        "for another job?",
        "the file's source language is 'fr'; this job's is en",
        "the file's target language is 'de'; this job is translated into es",
    ]


def test_the_target_language_picks_the_job_s_file_among_several() -> None:
    catalan = XliffJob("job-1", "en", "ca", (unit("item-9", "chair", "name", "The red chair"),))
    upload = xliff.read(fill(xliff.build(catalan, "2.0"), "2.0"), {"es": JOB, "ca": catalan})
    assert upload.language == "ca" and upload.translations == {"item-9": {"name": "The red chair"}}


def test_a_missing_unit_is_named() -> None:
    data = fill(xliff.build(JOB, "1.2"), "1.2")
    root = etree.fromstring(data)
    gone = units_of(data, "1.2")["chair/name"]
    body = next(root.iter(f"{{{xliff.XLIFF_1}}}body"))
    body.remove(next(u for u in body if u.get("id") == gone.get("id")))
    assert problems(etree.tostring(root)) == ["1 unit(s) missing: 'chair/name'"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not xml at all", "the file is not well-formed XML"),
        (b"<html><body/></html>", "the file is not XLIFF: its root element is <html>, not <xliff>"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.1" version="1.1"/>', "the file is XLIFF version '1.1'"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="3.0"/>', "the file is XLIFF version '3.0'"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"/>', "the file holds 0 <file> elements"),
        (
            "<?xml version='1.0' encoding='UTF-8'?><x>\udcff</x>".encode("utf-8", "surrogateescape"),
            "the file is not well-formed XML",
        ),
    ],
)
def test_what_is_not_an_xliff_file_is_refused(data: bytes, expected: str) -> None:
    (found,) = problems(data)
    assert found.startswith(expected), found


def test_entities_are_never_expanded_nor_fetched() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file><body><trans-unit id="x">'
        b"<source>&d;&d;&d;</source></trans-unit></body></file></xliff>"
    )
    assert problems(laughs) == ["the file declares a DOCTYPE, which XLIFF does not use: remove it"]
    external = (
        b'<?xml version="1.0"?><!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file><body/></file></xliff>'
    )
    assert problems(external) == ["the file declares a DOCTYPE, which XLIFF does not use: remove it"]
    undeclared = fill(xliff.build(JOB, "1.2"), "1.2").replace(b"<target>The red chair", b"<target>&secret;")
    assert problems(undeclared)[0].startswith("the file is not well-formed XML")


def test_a_file_over_the_cap_is_refused_before_it_is_parsed() -> None:
    data = fill(xliff.build(JOB, "1.2"), "1.2")
    with pytest.raises(XliffRefused, match=f"the file is {len(data)} bytes, over the 100 bytes"):
        xliff.read(data, {"es": JOB}, max_bytes=100)
    assert xliff.read(data, {"es": JOB}, max_bytes=len(data)).language == "es"


def test_characters_no_xml_file_carries_are_named() -> None:
    assert xliff.unusable_character("fine\ttext\n") is None
    assert xliff.unusable_character("bell\x07") == "U+0007"


TAGGED = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
        st.sampled_from(
            ["<b>", "</b>", "<br/>", "<img src=x onerror=alert(9)>", "<script>", "&amp;", "&lt;", "<", "&"]
        ),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(TAGGED, TAGGED)
def test_a_translation_holds_no_tag_its_source_did_not_have(source: str, translation: str) -> None:
    try:
        confined = inline.confine(source, translation)
    except inline.MarkupAdded:
        assert not inline.is_markup(source)
        return
    allowed = set(re.findall(r"<[^<>]*>", source))
    assert set(re.findall(r"<[^<>]*>", confined)) <= allowed  # every tag left is one of the source's
    assert inline.confine(source, confined) == confined  # idempotent: a second import changes nothing
    if not inline.is_markup(source):
        assert confined == translation  # a plain field's text is left as it is
