"""XLIFF files for the connector's human vendor: one file per connector job and target language,
built for a translation agency and read back, checked whole, when the agency uploads it translated.

Versions: XLIFF 1.2 (OASIS Standard, 2008) by default, which most agencies' tools read, and XLIFF 2.0
(OASIS Standard, 2014) on request; a 2.1 file (2.0's namespace, `version="2.1"`) is read as 2.0. One
target language per file in both (XLIFF 2.0 §4.2.2.1 allows only one; 1.2 is kept the same for
simplicity). Both are built and read with lxml: translate-toolkit's factory refuses 2.x, writes a
new 1.x file as 1.1, and its parser is not one we can lock down against hostile uploads.

A file holds, per item field (one entity × one field, for this language):
- a unit whose id is `<entity>/<field>` ('%' and '/' inside the entity written `%25`, `%2F` so the id
  is unique): a 1.2 `<trans-unit id>` takes any string (1.2 §2.3.2); a 2.0 `<unit id>` is an NMTOKEN
  (2.0 §4.3.1.16), so there every character other than letters, digits, '.' and '-' is written
  `_<hex>_`, and the readable id goes in the unit's `name`;
- the source text as it is, its markup as inline codes (`connector.inline`: `<g>`/`<x/>` in 1.2 §2.4,
  `<pc>`/`<ph/>` in 2.0 §4.1.3), never raw markup;
- the source hash (`connector.snapshots.field_hash`): a `<note from="dragoman">source-hash: …</note>`
  in 1.2 (§2.3.2, `<note>`), a Metadata module `<mda:meta type="source-hash">` in 2.0 (§5.9).
The `<file original>` is `dragoman-connector-job/<job id>`, so a file uploaded to another job is told.

Reading an upload (`read`) lists every problem, never only the first, and raises XliffRefused with
them all: too large; not XML (a DOCTYPE is refused: no entity is expanded, nothing is fetched); not
XLIFF, or a version other than 1.2, 2.0, 2.1; not one `<file>`; another job's file; a source language
or target language that is not the job's; per unit: an unknown or duplicated id, a source text or
source hash that is not the one sent (the source changed, or the file is another job's), a missing
or empty target, inline codes missing, added, duplicated or of another kind, inline elements this
file never had, a tag typed as text into a plain field's target; units missing. Nothing is read from
a refused file. A target's text is text, never markup: in a markup field (`inline.is_markup`) it is
escaped as markup's text, and only the unit's inline codes come back as tags (`inline.confine`).

Shapes: `SourceUnit(item_id, entity, field, text, hash)`, `XliffJob(job_id, source_language,
target_language, units, instructions, due)`; `build(job, version) -> bytes`; `read(data, jobs,
max_bytes) -> Upload(language, translations: {item id: {field: text}})` where `jobs` maps each of the
connector job's target languages to its XliffJob; `unusable_character(text) -> str | None`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from dragoman.connector import inline
from dragoman.errors import Invalid

__all__ = [
    "DEFAULT_MAX_BYTES",
    "VERSIONS",
    "SourceUnit",
    "Upload",
    "XliffJob",
    "XliffRefused",
    "build",
    "read",
    "unit_id",
    "unusable_character",
]

XLIFF_1 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF_2 = "urn:oasis:names:tc:xliff:document:2.0"
METADATA = "urn:oasis:names:tc:xliff:metadata:2.0"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
VERSIONS = ("1.2", "2.0")
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
ORIGINAL = "dragoman-connector-job/"
HASH_NOTE = "source-hash: "
# XML 1.0 §2.2 Char: what an XML document can carry at all
_UNUSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NMTOKEN_SAFE = re.compile(r"[A-Za-z0-9.-]")


class XliffRefused(Invalid):
    """An uploaded file that cannot be taken, with every problem found (`problems`)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"the XLIFF file is refused ({count}; nothing was changed):\n- " + "\n- ".join(self.problems))


@dataclass(frozen=True, slots=True)
class SourceUnit:
    """One field of one item, as sent: its connector item, entity, field name, text and hash."""

    item_id: str
    entity: str
    field: str
    text: str
    hash: str


@dataclass(frozen=True, slots=True)
class XliffJob:
    """What one file holds: a connector job's units for one target language."""

    job_id: str
    source_language: str
    target_language: str
    units: tuple[SourceUnit, ...]
    instructions: str = ""
    due: str | None = None  # ISO 8601


@dataclass(frozen=True, slots=True)
class Upload:
    """A file read whole and found right: its target language and item id -> {field: translation}."""

    language: str
    translations: dict[str, dict[str, str]]


def unusable_character(text: str) -> str | None:
    """The first character of `text` no XML document can carry (XML 1.0 §2.2), as U+XXXX, or None."""
    found = _UNUSABLE.search(text)
    return None if found is None else f"U+{ord(found.group(0)):04X}"


def unit_id(unit: SourceUnit, version: str) -> str:
    """The unit's id in a file of `version` (see the module's docstring)."""
    readable = unit.entity.replace("%", "%25").replace("/", "%2F") + "/" + unit.field
    if version == "1.2":
        return readable
    return "".join(char if _NMTOKEN_SAFE.fullmatch(char) else f"_{ord(char):x}_" for char in readable)


# --- building ---------------------------------------------------------------------------------


def build(job: XliffJob, version: str = "1.2") -> bytes:
    """The file for `job` in XLIFF `version` ("1.2" or "2.0"), UTF-8 with an XML declaration.
    Raises Invalid for another version."""
    if version not in VERSIONS:
        raise Invalid(f"XLIFF version {version!r} is not offered: ask for 1.2 or 2.0")
    root = _build_1(job) if version == "1.2" else _build_2(job)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _notes(job: XliffJob) -> list[str]:
    notes = []
    if job.instructions:
        notes.append(f"instructions: {job.instructions}")
    if job.due:
        notes.append(f"due: {job.due}")
    return notes


def _build_1(job: XliffJob) -> etree._Element:
    q = _q(XLIFF_1)
    root = etree.Element(q("xliff"), nsmap={None: XLIFF_1}, version="1.2")  # type: ignore[dict-item]
    file = etree.SubElement(root, q("file"))
    file.set("original", ORIGINAL + job.job_id)
    file.set("source-language", job.source_language)
    file.set("target-language", job.target_language)
    file.set("datatype", "plaintext")
    notes = _notes(job)
    if notes:
        header = etree.SubElement(file, q("header"))
        for text in notes:
            etree.SubElement(header, q("note"), {"from": "dragoman"}).text = text
    body = etree.SubElement(file, q("body"))
    for unit in job.units:
        element = etree.SubElement(body, q("trans-unit"), id=unit_id(unit, "1.2"))
        element.set(XML_SPACE, "preserve")
        _inline(etree.SubElement(element, q("source")), inline.parse(unit.text), "1.2")
        etree.SubElement(element, q("note"), {"from": "dragoman"}).text = HASH_NOTE + unit.hash
    return root


def _build_2(job: XliffJob) -> etree._Element:
    q, m = _q(XLIFF_2), _q(METADATA)
    root = etree.Element(q("xliff"), nsmap={None: XLIFF_2, "mda": METADATA}, version="2.0")  # type: ignore[dict-item]
    root.set("srcLang", job.source_language)
    root.set("trgLang", job.target_language)
    file = etree.SubElement(root, q("file"), id="f1", original=ORIGINAL + job.job_id)
    notes = _notes(job)
    if notes:
        holder = etree.SubElement(file, q("notes"))
        for text in notes:
            etree.SubElement(holder, q("note")).text = text
    for unit in job.units:
        element = etree.SubElement(file, q("unit"), id=unit_id(unit, "2.0"), name=unit_id(unit, "1.2"))
        element.set(XML_SPACE, "preserve")
        group = etree.SubElement(etree.SubElement(element, m("metadata")), m("metaGroup"), category="dragoman")
        etree.SubElement(group, m("meta"), type="source-hash").text = unit.hash
        segment = etree.SubElement(element, q("segment"))
        _inline(etree.SubElement(segment, q("source")), inline.parse(unit.text), "2.0")
    return root


def _inline(parent: etree._Element, nodes: Sequence[inline.Node], version: str) -> None:
    """`nodes` written into `parent`: text, and each code as 1.2 `<g>`/`<x/>` or 2.0 `<pc>`/`<ph/>`."""
    q = _q(XLIFF_1 if version == "1.2" else XLIFF_2)
    parent.text = parent.text or ""  # a text node, even empty, keeps pretty printing out of the content
    last: etree._Element | None = None
    for node in nodes:
        if isinstance(node, str):
            if last is None:
                parent.text = (parent.text or "") + node
            else:
                last.tail = (last.tail or "") + node
            continue
        code = node.code
        if version == "1.2":
            attributes = {"id": code.id}
            if re.fullmatch(r"[a-z0-9]+", code.name):
                attributes["ctype"] = f"x-html-{code.name}"
            last = etree.SubElement(parent, q("g" if code.paired else "x"), attributes)
        elif code.paired:
            last = etree.SubElement(parent, q("pc"), id=code.id, dispStart=code.start, dispEnd=code.end)
        else:
            last = etree.SubElement(parent, q("ph"), id=code.id, disp=code.start)
        if isinstance(node, inline.Span):
            _inline(last, node.children, version)


def _q(namespace: str) -> _Qualifier:
    return _Qualifier(namespace)


class _Qualifier:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __call__(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"


# --- reading ----------------------------------------------------------------------------------


def read(data: bytes, jobs: Mapping[str, XliffJob], max_bytes: int = DEFAULT_MAX_BYTES) -> Upload:
    """The translations in an uploaded file, for the XliffJob of its target language (`jobs`: target
    language -> XliffJob of one connector job). Raises XliffRefused listing every problem."""
    if len(data) > max_bytes:
        raise XliffRefused([f"the file is {len(data)} bytes, over the {max_bytes} bytes an upload may hold"])
    root = _parse(data)
    version, q = _version(root)
    files = root.findall(q("file"))
    if len(files) != 1:
        raise XliffRefused([f"the file holds {len(files)} <file> elements; upload the one file downloaded, translated"])
    file = files[0]
    problems: list[str] = []
    some_job = next(iter(jobs.values()))
    original = file.get("original")
    if original != ORIGINAL + some_job.job_id:
        problems.append(
            f"the file is not this job's (its <file original> is {original!r}): was it downloaded for another job?"
        )
    holder = file if version == "1.2" else root
    source_language = holder.get("source-language" if version == "1.2" else "srcLang")
    target_language = holder.get("target-language" if version == "1.2" else "trgLang")
    if source_language is None or _same_language(source_language, some_job.source_language) is False:
        problems.append(f"the file's source language is {source_language!r}; this job's is {some_job.source_language}")
    job = next((job for language, job in jobs.items() if _same_language(language, target_language or "")), None)
    if job is None:
        problems.append(
            f"the file's target language is {target_language!r}; this job is translated into {', '.join(jobs)}"
        )
        raise XliffRefused(problems)
    translations = _units(file, version, job, problems)
    if problems:
        raise XliffRefused(problems)
    return Upload(job.target_language, translations)


def _parse(data: bytes) -> etree._Element:
    """The document's root, parsed without a DTD, entity expansion, network or huge-tree allowances."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise XliffRefused([f"the file is not well-formed XML: {exc.msg or 'unreadable'}"]) from None
    except ValueError:
        raise XliffRefused(["the file is not well-formed XML"]) from None
    if getattr(tree.docinfo, "doctype", "") or tree.docinfo.internalDTD is not None:
        raise XliffRefused(["the file declares a DOCTYPE, which XLIFF does not use: remove it"])
    return tree.getroot()


def _version(root: etree._Element) -> tuple[str, _Qualifier]:
    """The file's XLIFF version ("1.2" or "2.0") and its namespace qualifier. Raises XliffRefused."""
    if not isinstance(root.tag, str):
        raise XliffRefused(["the file is not XLIFF"])
    name = etree.QName(root)
    if name.localname != "xliff":
        raise XliffRefused([f"the file is not XLIFF: its root element is <{name.localname}>, not <xliff>"])
    version = root.get("version")
    if name.namespace == XLIFF_1 and version == "1.2":
        return "1.2", _q(XLIFF_1)
    if name.namespace == XLIFF_2 and version in ("2.0", "2.1"):
        return "2.0", _q(XLIFF_2)
    raise XliffRefused([f"the file is XLIFF version {version!r} ({name.namespace}); upload XLIFF 1.2 or 2.0"])


def _same_language(a: str, b: str) -> bool:
    return a.replace("_", "-").lower() == b.replace("_", "-").lower()


def _units(file: etree._Element, version: str, job: XliffJob, problems: list[str]) -> dict[str, dict[str, str]]:
    """Every unit of `file` checked against `job`; item id -> {field: translation}."""
    q = _q(XLIFF_1 if version == "1.2" else XLIFF_2)
    expected = {unit_id(unit, version): unit for unit in job.units}
    seen: set[str] = set()
    translations: dict[str, dict[str, str]] = {}
    for element in file.iter(q("trans-unit") if version == "1.2" else q("unit")):
        given = element.get("id") or ""
        unit = expected.get(given)
        label = f"unit {given!r}"
        if given in seen:
            problems.append(f"{label} appears more than once")
            continue
        seen.add(given)
        if unit is None:
            problems.append(f"{label} is not one of this job's units for {job.target_language}")
            continue
        text = _checked_unit(element, version, unit, label, problems)
        if text is not None:
            translations.setdefault(unit.item_id, {})[unit.field] = text
    missing = [name for name in expected if name not in seen]
    if missing:
        problems.append(f"{len(missing)} unit(s) missing: {', '.join(repr(name) for name in missing)}")
    return translations


def _checked_unit(
    element: etree._Element, version: str, unit: SourceUnit, label: str, problems: list[str]
) -> str | None:
    """The unit's translation, once its source, hash, target and inline codes are right; else None
    and what is wrong appended to `problems`."""
    codes = inline.codes(inline.parse(unit.text))
    before = len(problems)
    q = _q(XLIFF_1 if version == "1.2" else XLIFF_2)
    if version == "1.2":
        sources = [element.find(q("source"))]
        targets = [element.find(q("target"))]
        hashes = [
            (note.text or "").removeprefix(HASH_NOTE).strip()
            for note in element.findall(q("note"))
            if (note.text or "").startswith(HASH_NOTE)
        ]
    else:
        parts = [child for child in element if child.tag in (q("segment"), q("ignorable"))]
        sources = [part.find(q("source")) for part in parts]
        targets = [_target_of(part, q("segment"), q("target"), q("source")) for part in parts]
        hashes = [
            (meta.text or "").strip()
            for meta in element.iter(f"{{{METADATA}}}meta")
            if meta.get("type") == "source-hash"
        ]
    if any(hash_ != unit.hash for hash_ in hashes):
        problems.append(
            f"{label}: its source hash is not the one sent (the source changed, or the file is another job's)"
        )
    source_used: list[str] = []
    source_text = "".join(_text(source, version, codes, source_used, None) for source in sources if source is not None)
    if not sources or any(source is None for source in sources) or source_text != unit.text:
        problems.append(
            f"{label}: its source text is not the one sent (the source changed, or the file is another job's)"
        )
    if any(target is None for target in targets) or not targets:
        problems.append(f"{label}: it has no target")
        return None
    used: list[str] = []
    found: list[str] = []
    markup = inline.is_markup(unit.text)
    translation = "".join(
        _text(target, version, codes, used, found, markup=markup) for target in targets if target is not None
    )
    if not translation.strip():
        problems.append(f"{label}: its target is empty")
    try:
        translation = inline.confine(unit.text, translation)
    except inline.MarkupAdded as exc:
        problems.append(f"{label}: {exc} (the source is plain text: write it as words)")
    problems.extend(f"{label}: {problem}" for problem in found)
    repeated = sorted({code for code in used if used.count(code) > 1}, key=_by_number)
    if repeated:
        problems.append(f"{label}: inline code(s) {', '.join(repeated)} appear more than once in the target")
    missing = sorted(set(codes) - set(used), key=_by_number)
    if missing:
        problems.append(f"{label}: inline code(s) {', '.join(missing)} of the source are missing from the target")
    return translation if len(problems) == before else None


def _target_of(part: etree._Element, segment: str, target: str, source: str) -> etree._Element | None:
    """A 2.0 segment's target; an ignorable's target, or its source when it has none (2.0 §4.3.1.8)."""
    found = part.find(target)
    if found is None and part.tag != segment:
        found = part.find(source)
    return found


def _by_number(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (1 << 30, code)


def _text(
    element: etree._Element,
    version: str,
    codes: Mapping[str, inline.Code],
    used: list[str],
    found: list[str] | None,
    *,
    markup: bool = False,
) -> str:
    """The text `element` stands for, each known inline code's original tags put back; the ids met are
    appended to `used`, and what is wrong to `found` (None: reading a source, whose codes are ours).
    `markup`: the field is markup, so the element's text (never markup: an agency's `&lt;b&gt;` is
    the text `<b>`) is escaped as markup's text, and only the codes come back as tags."""
    paired, single = ("g", "x") if version == "1.2" else ("pc", "ph")
    namespace = XLIFF_1 if version == "1.2" else XLIFF_2
    text = inline.escape_text if markup else str
    parts = [text(element.text or "")]
    for child in element:
        if not isinstance(child.tag, str):  # a comment or processing instruction: only its tail counts
            parts.append(text(child.tail or ""))
            continue
        name = etree.QName(child)
        local = name.localname if name.namespace == namespace else f"{{{name.namespace}}}{name.localname}"
        if local in (paired, single):
            given = child.get("id") or ""
            code = codes.get(given)
            inner = _text(child, version, codes, used, found, markup=markup) if local == paired else ""
            if code is None or code.paired != (local == paired):
                if found is not None:
                    found.append(f"inline code <{local} id={given!r}> is not one of the source's (added)")
            else:
                used.append(given)
                parts.append(code.start + inner + code.end if code.paired else code.start)
        elif local == "mrk":  # an annotation a tool added: its content counts, the mark does not
            parts.append(_text(child, version, codes, used, found, markup=markup))
        elif version == "2.0" and local in ("sm", "em"):
            pass
        elif found is not None:
            found.append(f"the target holds <{local}>, an inline element the file did not have")
        parts.append(text(child.tail or ""))
    return "".join(parts)


def units_of(items: Sequence[tuple[str, str, Mapping[str, tuple[str, str]]]]) -> Iterator[SourceUnit]:
    """The units of items given as (item id, entity, {field: (text, hash)}), fields by name."""
    for item_id, entity, fields in items:
        for name, (text, digest) in sorted(fields.items()):
            yield SourceUnit(item_id, entity, name, text, digest)
