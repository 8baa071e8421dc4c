"""XLIFF files (1.2, and 2.0/2.1/2.2) as documents: every unit still to translate gets its target,
as a CAT tool's pre-translation fills it.

What is translated: in 1.2 each `<trans-unit>`'s `<source>` (each `<mrk mtype="seg">` of its
`<seg-source>`, when it is segmented), in 2.x each `<segment>`'s `<source>`. The target is written
after the source (1.2 §2.3.2 element order), with `state="translated"`: 1.2 on the `<target>`
(§2.6.7 state values), 2.x on the `<segment>` (§4.3.1.41). The file's target language is set to the
job's (1.2 `<file target-language>`, 2.x `<xliff trgLang>`).

What is left as it is:
- a unit, group or file marked `translate="no"` (1.2 §2.3.2; 2.x §4.3.1.42, inherited);
- a target with text in it, unless its state says it still needs translating (1.2 `new`,
  `needs-translation`; 2.x `initial`): a translator's or reviewer's work (translated, reviewed,
  final, signed-off, `approved="yes"`) is never overwritten, as a CAT tool's pre-translation never
  overwrites it; a file whose every unit is translated has nothing to translate;
- a source with no letter in it (a number, a code): its target is a copy of it.
A source's inline codes (1.2 §2.4: `<g>`, `<x/>`, `<bx/>`, `<ex/>`, `<ph>`, `<bpt>`, `<ept>`,
`<it>`, `<mrk>`; 2.x §4.1.3: `<pc>`, `<ph/>`, `<sc/>`, `<ec/>`, `<mrk>`, `<sm/>`, `<em/>`, `<cp/>`)
come back in the target, each once, around the words they were on: `<g>`, `<pc>` and `<mrk>`
travel with their words (`inline_markup`), and so does a spanning pair of codes around words at one
level (`<sc/>`…`<ec/>`, `<bpt>`…`<ept>`, `<bx/>`…`<ex/>`: the words between them are carried as in a
`<pc>`, the codes put back at the edges of those words); every other code (and a `<mrk>` that is
`translate="no"` or `mtype="protected"`) stays whole, its content untranslated.

The file is read with lxml without a DTD, entity expansion, network or huge-tree allowances; a file
declaring a DOCTYPE is refused (XLIFF uses none, and an entity could expand to gigabytes). Everything
else (comments, notes, alt-trans, skeletons, other namespaces) is written back as it was.

Shapes: `take_apart(data) -> (XliffSkeleton, segments, characters)`; `rebuild(skeleton, translated,
target_language) -> bytes`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from lxml import etree

from dragoman.domain.specs import DocumentWarning
from dragoman.formats.inline_markup import InlineText, Kind, fill, to_stream

__all__ = ["XliffSkeleton", "rebuild", "take_apart"]

_XLIFF_2 = "urn:oasis:names:tc:xliff:document:2.0"
# A file with no `version` attribute (Weblate writes such 1.1 files) is the version its namespace names.
_VERSION_OF_NAMESPACE = {f"urn:oasis:names:tc:xliff:document:{version}": version for version in ("1.1", "1.2")}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_STILL_TO_TRANSLATE = frozenset({"new", "needs-translation", "initial"})
_CARRIED = frozenset({"g", "pc", "mrk"})
# Spanning codes written as two empty elements: 2.x `<sc id>` ... `<ec startRef>` (§4.3.1.7, 4.3.1.10),
# 1.2 `<bpt id>` ... `<ept id>` (§2.5.3) and `<bx rid>` ... `<ex rid>` (§2.5.5): (start, end, their
# shared key's attribute on each)
_SPANNING = {"sc": ("ec", "id", "startRef"), "bpt": ("ept", "id", "id"), "bx": ("ex", "rid", "rid")}
_PAIR = "{urn:dragoman:xliff}pair"  # our stand-in for a spanning pair around words, never written out
_DOCTYPE = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s|<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->)*<!DOCTYPE")


@dataclass(slots=True)
class XliffSkeleton:
    """The parsed file, its version ("1" or "2"), and per segment where its translation goes: the
    source element, the unit's element that takes the state, and the source's inline text."""

    tree: etree._ElementTree
    version: str
    slots: list[tuple[etree._Element, etree._Element, InlineText]] = field(default_factory=list)
    # the spanning codes that open and close each stand-in `_PAIR` (its `n` attribute), see `_pair_codes`
    pairs: list[tuple[etree._Element, etree._Element]] = field(default_factory=list)
    declared_target: str = ""  # the file's own target language (2.x `trgLang`, 1.2 `target-language`)
    kept_targets: int = 0  # targets holding a person's work, kept as they are
    warnings: list[DocumentWarning] = field(default_factory=list)  # said on the task


def take_apart(data: bytes) -> tuple[XliffSkeleton, list[str], int]:
    """The sources still to translate (as engine segments), the skeleton, and the visible
    characters. Raises ValueError when the file is not XLIFF 1.2 or 2.x, or declares a DOCTYPE."""
    tree = _parse(data)
    root = tree.getroot()
    name = etree.QName(root)
    version = root.get("version") or _VERSION_OF_NAMESPACE.get(name.namespace or "", "")
    if name.localname != "xliff":
        raise ValueError(f"the root element is <{name.localname}>, not XLIFF's <xliff>")
    if name.namespace == _XLIFF_2 and version.startswith("2."):
        skeleton = XliffSkeleton(tree, "2")
        sources = _sources_2(root)
    elif name.namespace != _XLIFF_2 and version.startswith("1."):
        skeleton = XliffSkeleton(tree, "1")
        sources = _sources_1(root)
    else:
        raise ValueError(f"XLIFF version {version!r} is not read here: XLIFF 1.2 and 2.x are")
    if skeleton.version == "2":
        skeleton.declared_target = root.get("trgLang") or ""
        holders = [segment for unit in root.iter(_q(root, "unit")) for segment in unit.iter(_q(root, "segment"))]
    else:
        skeleton.declared_target = next((file.get("target-language") or "" for file in root.iter(_q(root, "file"))), "")
        holders = list(root.iter(_q(root, "trans-unit")))
    skeleton.kept_targets = sum(1 for holder in holders if _done(holder.find(_q(root, "target")), holder))
    segments: list[str] = []
    characters = 0
    for source, holder in sources:
        inline = to_stream(_pair_codes(source, skeleton.pairs), _kind)
        if not any(character.isalpha() for character in _words(source)):
            _target_of(source, holder, skeleton.version, copy_source=True)
            continue
        skeleton.slots.append((source, holder, inline))
        segments.append(inline.segment)
        characters += inline.characters
    return skeleton, segments, characters


def rebuild(skeleton: XliffSkeleton, translated: list[str], target_language: str | None = None) -> bytes:
    """The file with each target filled (segments already unprotected) and its target language set."""
    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per source")
    for (source, holder, inline), segment in zip(skeleton.slots, translated, strict=True):
        into = _target_of(source, holder, skeleton.version)
        fill(into, inline, segment)
        _unpair_codes(into, skeleton.pairs)
        target = into if etree.QName(into).localname == "target" else into.getparent()
        if target_language is not None and target is not None and target.get(_XML_LANG) is not None:
            target.set(_XML_LANG, target_language)
    root = skeleton.tree.getroot()
    declared = skeleton.declared_target
    if (
        target_language is not None
        and declared
        and skeleton.kept_targets
        and _language(declared) != _language(target_language)
    ):
        skeleton.warnings.append(
            DocumentWarning(
                "TargetLanguageMismatch",
                f"the file's target language was {declared}, not {target_language}: its {skeleton.kept_targets} "
                f"translated or reviewed target(s) are kept as they were, in {declared}, beside the new ones",
            )
        )
    if target_language is not None:
        if skeleton.version == "2":
            root.set("trgLang", target_language)
        else:
            for file in root.iter(_q(root, "file")):
                file.set("target-language", target_language)
    written = etree.tostring(skeleton.tree, xml_declaration=True, encoding=skeleton.tree.docinfo.encoding or "UTF-8")
    return written if isinstance(written, bytes) else written.encode()


def _language(tag: str) -> str:
    """The language of a BCP 47 tag, in lower case (`fr-FR` -> `fr`)."""
    return tag.replace("_", "-").split("-")[0].lower()


def _parse(data: bytes) -> etree._ElementTree:
    if _DOCTYPE.match(data):
        raise ValueError("it declares a DOCTYPE, which XLIFF does not use (entities are not expanded): remove it")
    parser = etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[arg-type]
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"it is not well-formed XML ({exc.msg or 'unreadable'})") from None
    if getattr(tree.docinfo, "doctype", "") or tree.docinfo.internalDTD is not None:
        raise ValueError("it declares a DOCTYPE, which XLIFF does not use (entities are not expanded): remove it")
    return tree


def _q(root: etree._Element, name: str) -> str:
    namespace = etree.QName(root).namespace
    return f"{{{namespace}}}{name}" if namespace else name


def _translatable(element: etree._Element) -> bool:
    """Whether `element` and every ancestor allow translation (`translate` is inherited)."""
    return all(node.get("translate", "yes") != "no" for node in element.iterancestors()) and (
        element.get("translate", "yes") != "no"
    )


def _sources_1(root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(source, trans-unit) of each 1.x unit to translate; a segmented one gives its segments'
    `<mrk>`s of its `<seg-source>`, each with the unit."""
    found = []
    for unit in root.iter(_q(root, "trans-unit")):
        source = unit.find(_q(root, "source"))
        if source is None or not _translatable(unit):
            continue
        segmented = unit.find(_q(root, "seg-source"))
        if segmented is not None:
            marks = [mark for mark in segmented.iter(_q(root, "mrk")) if mark.get("mtype") == "seg"]
            if marks and not _done(_existing_target(unit, root), unit):
                found += [(mark, unit) for mark in marks]
                continue
        if not _done(_existing_target(unit, root), unit):
            found.append((source, unit))
    return found


def _sources_2(root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(source, segment) of each 2.x segment to translate."""
    q = _q(root, "")
    found = []
    for unit in root.iter(q + "unit"):
        if not _translatable(unit):
            continue
        for segment in unit.iter(q + "segment"):
            source = segment.find(q + "source")
            target = segment.find(q + "target")
            if source is not None and not _done(target, segment):
                found.append((source, segment))
    return found


def _existing_target(unit: etree._Element, root: etree._Element) -> etree._Element | None:
    return unit.find(_q(root, "target"))


def _done(target: etree._Element | None, holder: etree._Element) -> bool:
    """Whether a target holds work to keep: any text, in a state other than "still to translate"."""
    if target is None or not etree.tostring(target, method="text", encoding="unicode", with_tail=False).strip():
        return False
    state = holder.get("state") if target.get("state") is None else target.get("state")
    return state not in _STILL_TO_TRANSLATE or holder.get("approved") == "yes"


def _target_of(
    source: etree._Element, holder: etree._Element, version: str, *, copy_source: bool = False
) -> etree._Element:
    """The element `source`'s translation goes in (a target made or emptied, or a segment of one),
    the state set; with `copy_source`, filled with a copy of the source's content."""
    q = _q(holder.getroottree().getroot(), "")
    if source.tag == q + "mrk":  # a segment of a 1.2 seg-source: its twin in the target
        target, into = _segmented_target(source, holder, q)
    else:
        existing = holder.find(q + "target")
        if existing is None:
            existing = etree.Element(q + "target")
            after = holder.find(q + "seg-source") if version == "1" else None
            anchor = after if after is not None else source
            _add_after(anchor, existing)
        target = into = existing
    into.text = None
    for child in list(into):
        into.remove(child)
    if copy_source:
        into.text = source.text
        for child in source:
            into.append(copy.deepcopy(child))
    (target if version == "1" else holder).set("state", "translated")
    return into


def _add_after(anchor: etree._Element, element: etree._Element) -> None:
    """Put `element` right after `anchor`, indented as `anchor` is."""
    previous = anchor.getprevious()
    before = previous.tail if previous is not None else anchor.getparent().text  # type: ignore[union-attr]
    element.tail = anchor.tail
    if before is not None and not before.strip():
        anchor.tail = before
    anchor.addnext(element)


def _segmented_target(mark: etree._Element, unit: etree._Element, q: str) -> tuple[etree._Element, etree._Element]:
    """The unit's target, and its `<mrk mtype="seg">` matching a seg-source `mark` (same `mid`); the
    target is first made as a copy of the seg-source when it has no such segments."""
    target = unit.find(q + "target")
    if target is None or not any(m.get("mtype") == "seg" for m in target.iter(q + "mrk")):
        segmented = next(mark.iterancestors(q + "seg-source"))
        fresh = copy.deepcopy(segmented)
        fresh.tag = q + "target"
        if target is not None:
            target.addprevious(fresh)
            fresh.tail = target.tail
            unit.remove(target)
        else:
            _add_after(segmented, fresh)
        target = fresh
    for candidate in target.iter(q + "mrk"):
        if candidate.get("mtype") == "seg" and candidate.get("mid") == mark.get("mid"):
            return target, candidate
    return target, etree.SubElement(target, q + "mrk", {"mtype": "seg", "mid": mark.get("mid") or ""})


def _pair_codes(source: etree._Element, pairs: list[tuple[etree._Element, etree._Element]]) -> etree._Element:
    """`source` itself, or a copy in which each spanning pair of codes at one level with words between
    them is a carried stand-in (`_PAIR`) holding those words, so that they travel with their words as
    `<pc>` does; the codes are set aside in `pairs`, the stand-in naming them by number."""
    if not any(etree.QName(child).localname in _SPANNING for child in source.iter() if isinstance(child.tag, str)):
        return source
    work = copy.deepcopy(source)
    for parent in [work, *(child for child in work.iter() if child is not work)]:
        index = 0
        while index < len(parent):
            start = parent[index]
            index += 1
            if not isinstance(start.tag, str) or etree.QName(start).localname not in _SPANNING:
                continue
            end_name, start_key, end_key = _SPANNING[etree.QName(start).localname]
            key = start.get(start_key)
            if key is None or start.get("isolated") == "yes":
                continue
            siblings = list(parent)
            end = next(
                (
                    element for element in siblings[index:]
                    if isinstance(element.tag, str) and etree.QName(element).localname == end_name
                    and element.get(end_key) == key
                ),
                None,
            )  # fmt: skip
            if end is None:
                continue
            inside = siblings[index : siblings.index(end)]
            words = (start.tail or "") + "".join(
                _words(element) + (element.tail or "") if isinstance(element.tag, str) else (element.tail or "")
                for element in inside
            )
            if not any(character.isalpha() for character in words):
                continue
            pair = etree.Element(_PAIR, {"n": str(len(pairs))})
            pair.text, pair.tail = start.tail, end.tail
            parent.insert(parent.index(start), pair)
            pair.extend(inside)
            parent.remove(start)
            parent.remove(end)
            start.tail = end.tail = None
            pairs.append((start, end))
            index = parent.index(pair) + 1
    return work


def _unpair_codes(target: etree._Element, pairs: list[tuple[etree._Element, etree._Element]]) -> None:
    """Put each stand-in's codes back around the words it holds, in `target`."""
    for pair in list(target.iter(_PAIR)):
        start, end = (copy.copy(code) for code in pairs[int(pair.get("n") or 0)])
        parent = pair.getparent()
        assert parent is not None  # noqa: S101 - a stand-in is never the root
        position = parent.index(pair)
        start.tail = pair.text
        end.tail = pair.tail
        children = list(pair)
        parent.remove(pair)
        for offset, element in enumerate([start, *children, end]):
            parent.insert(position + offset, element)


def _kind(element: etree._Element) -> Kind:
    if element.tag == _PAIR:
        return "carry"
    local = etree.QName(element).localname
    if local not in _CARRIED:
        return "keep"
    if local == "mrk" and (element.get("translate") == "no" or element.get("mtype") == "protected"):
        return "keep"
    return "carry"


def _words(source: etree._Element) -> str:
    """The text of `source` a reader translates: what kept codes hold left out."""
    parts = [source.text or ""]
    for child in source:
        if isinstance(child.tag, str) and _kind(child) == "carry":
            parts.append(_words(child))
        parts.append(child.tail or "")
    return "".join(parts)
