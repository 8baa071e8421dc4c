"""What sits inside a Word sentence besides its runs, set aside so Transfuse reads the sentence whole,
and put back around the right words after translation.

Transfuse 0.5.8 reads a paragraph's runs (`<w:r>` with text) as one block only while they are side
by side; any other element between them ends the block, so the sentence was translated in pieces
("La reunión Inicios en nueve Por la mañana"). Inside a sentence Word also writes:

- wrappers around runs: a tracked insertion or move (`w:ins`, `w:moveTo`), a content control
  (`w:sdt`), a simple field (`w:fldSimple`), a smart tag, custom XML, bidirectional text (`w:dir`,
  `w:bdo`);
- complex fields: runs from `w:fldChar begin` through the instruction (`w:instrText`) and `separate`
  to the result's runs and `end`, with DATE, PAGE, REF...;
- things without text: a footnote, endnote or comment reference, a symbol, a tracked deletion or
  move (`w:del`, `w:moveFrom`, their text in `w:delText`), an equation, a field with no result.

Before Transfuse (`prepare`), each such thing between a paragraph's texts is set aside in a stash
(a package member of our own, `STASH`): a wrapper's or field's text runs take its place, each marked
with a carrier number (an attribute Transfuse keeps with the run's formatting), and what has no text
is attached to the run before it (or after it, at the start). Transfuse then reads the sentence
whole, and carries each run's mark through the engine with the words it holds. After Transfuse
(`restore`), the wrappers and fields are rebuilt around their runs, in the translation's order, and
what was attached goes back after (or before) the same words:

- a field keeps its instruction untouched and stays a field (Word recomputes its result); its
  result is translated with the sentence, but for a mail merge's placeholder (`MERGEFIELD`'s
  «FirstName»), which is kept as written. Words the engine puts between two words of the result
  ("1 May" → "1 de mayo") go inside it; a result the engine splits apart (other words between,
  which are not) stays one field, at its first words, and the rest is plain text;
- a tracked insertion (or move) stays marked as one: every word of it is still inserted, in as many
  insertions as the engine's word order needs (each with an id of its own);
- a deletion is not translated (it is the original's deleted text) and is kept, as a tracked
  deletion, after the word it followed; so are references and symbols;
- a content control holds its translated words; split apart like a field, it keeps its first ones.

Whatever the engine lost (every word of a field's result dropped) is put back at its paragraph's
end, so nothing is ever lost. A paragraph with something this module does not know how to set aside
(a field that spans paragraphs, a hyperlink inside a wrapper) is left as it is. Pictures and text
boxes are left in place (their text and alternative text are translated where they are). Only the
story parts (body, headers, footers, notes, comments) up to `MAX_PART_BYTES` are touched; they are
parsed without entities, network or DTD.

Shapes: `prepare(package) -> package` (the same bytes when nothing needs setting aside, or when a
part already holds this module's marks; a package member named `STASH` in the original is
dropped), `restore(package) -> package` (the same bytes without a stash). Both leave parts that are
not well-formed XML as they are. Called by `documents` around the converter: `prepare` after
`wordruns.split_multi_text_runs`, `restore` once the body and the left-out parts are back.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from dragoman.formats.wordruns import hide_texts

__all__ = ["MAX_PART_BYTES", "STASH", "prepare", "restore"]

STASH = "dragoman/word-inline.xml"
MAX_PART_BYTES = 8 * 1024 * 1024  # parsed whole: lxml takes about ten times a part's size
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STORY = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _w(name: str) -> str:
    return f"{{{_W}}}{name}"


_P, _PPR, _R, _RPR, _T, _FLDCHAR = _w("p"), _w("pPr"), _w("r"), _w("rPr"), _w("t"), _w("fldChar")
_FLDCHAR_TYPE, _ID = _w("fldCharType"), _w("id")
_SDT, _SDT_CONTENT = _w("sdt"), _w("sdtContent")
_CARRIER, _PARAGRAPH = _w("dragomanCarrier"), _w("dragomanParagraph")  # only between prepare and restore
_INSTRUCTION = _w("instrText")
_FIELD_SIMPLE, _FIELD_INSTRUCTION = _w("fldSimple"), _w("instr")
# Fields whose result is a mail merge's placeholder («FirstName»), replaced when the letters are
# merged: kept as written, never translated (their guillemets stay with them).
_PLACEHOLDER_FIELDS = [["MERGEFIELD"], ["MERGEREC"], ["MERGESEQ"], ["ADDRESSBLOCK"], ["GREETINGLINE"], ["NEXT"]]
_WRAPPERS = frozenset(_w(name) for name in ("ins", "moveTo", "sdt", "fldSimple", "smartTag", "customXml", "dir", "bdo"))
_DUPLICABLE = frozenset(_w(name) for name in ("ins", "moveTo", "smartTag", "customXml", "dir", "bdo"))
_HOLDS_TEXT = frozenset({_T, _P, _w("docPr"), "{http://schemas.openxmlformats.org/drawingml/2006/main}t"})
_BREAKS = frozenset({_RPR, _w("tab"), _w("br"), _w("cr"), _w("ptab")})  # a run of these: a natural break
# The last: a hyperlink wordruns.py hid from Transfuse, set aside as any thing without text.
_TRIGGERS = (b"<w:fldChar", b"<w:fldSimple", b"<w:ins ", b"<w:ins>", b"<w:del ", b"<w:del>", b"<w:sdt>",
             b"<w:sdt ", b"Reference", b"<w:sym", b"<w:moveTo", b"<w:moveFrom", b"<w:smartTag", b"<w:customXml",
             b"<w:dir", b"<w:bdo", b"<m:oMath", b"<w:dragomanHyperlink")  # fmt: skip


class _Unsupported(Exception):
    """A paragraph holds something that cannot be set aside safely: it is left as it is."""


@dataclass(slots=True)
class _Group:
    """A wrapper or a field set aside: `before` is the wrapper's shell (its properties, content
    emptied) or a field's runs up to `separate`; `after` a field's `end` run."""

    number: int
    kind: str  # "element" or "field"
    before: list[etree._Element]
    after: list[etree._Element] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    """One item of a paragraph or wrapper: a run with text, a group and its entries, a thing without
    text (an anchor), or, in a paragraph, something left where it is."""

    kind: str  # "text", "group", "anchor", "keep"
    elements: list[etree._Element]
    group: _Group | None = None
    entries: list[_Entry] = field(default_factory=list)


# --- prepare -----------------------------------------------------------------------------------


def prepare(package: bytes) -> bytes:
    """`package` (a .docx) with what sits inside its sentences set aside in `STASH`."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        members = archive.infolist()
        stash = etree.Element("stash")
        rewritten: dict[str, bytes] = {}
        numbers = _Numbers()
        for member in members:
            if not _STORY.match(member.filename) or member.file_size > MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            if b"dragomanCarrier" in xml or b"dragomanParagraph" in xml:  # our marks, written by someone else
                rewritten.clear()
                stash.clear()
                break
            if not any(trigger in xml for trigger in _TRIGGERS):
                continue
            part = etree.SubElement(stash, "part", name=member.filename)
            prepared = _prepare_part(xml, part, numbers)
            if prepared is None:
                stash.remove(part)
            else:
                rewritten[member.filename] = prepared
        if not rewritten and STASH not in archive.namelist():
            return package
        rewritten[STASH] = etree.tostring(stash, xml_declaration=True, encoding="UTF-8") if len(stash) else b""
        return _rewrite(archive, rewritten, drop_empty=STASH)


@dataclass(slots=True)
class _Numbers:
    """Numbers handed out in one package: groups, carriers, paragraphs."""

    last: int = 0

    def next(self) -> int:
        self.last += 1
        return self.last


def _prepare_part(xml: bytes, stash: etree._Element, numbers: _Numbers) -> bytes | None:
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None
    changed = False
    for paragraph in list(root.iter(_P)):
        try:
            entries = _entries(list(paragraph), nested=False)
        except _Unsupported:
            continue
        if _set_aside(paragraph, entries, stash, numbers):
            changed = True
    if not changed:
        return None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _entries(children: Sequence[etree._Element], *, nested: bool) -> list[_Entry]:
    """The entries of a paragraph's (or, `nested`, a wrapper's) children. Raises _Unsupported."""
    entries: list[_Entry] = []
    index = 0
    while index < len(children):
        child = children[index]
        tag = child.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            entries.append(_Entry("anchor" if nested else "keep", [child]))
        elif tag == _R and _field_chars(child):
            end, entry = _field(children, index)
            entries.append(entry)
            index = end
        elif tag == _R and child.find(_T) is not None:
            entries.append(_Entry("text", [child]))
        elif tag in _WRAPPERS:
            entries.append(_wrapper(child))
        elif _holds_text(child) or tag == _PPR or (tag == _R and all(part.tag in _BREAKS for part in child)):
            if nested:  # a hyperlink, a picture, a break inside a wrapper: not taken apart
                raise _Unsupported(tag)
            entries.append(_Entry("keep", [child]))
        else:
            entries.append(_Entry("anchor", [child]))
        index += 1
    return _join_anchors(entries)


def _join_anchors(entries: list[_Entry]) -> list[_Entry]:
    """`entries` with anchors that only spaces part made one anchor, spaces included and hidden
    from the converter ("«Title» «LastName»": two placeholders and the space between them, which the
    engine would otherwise move)."""
    joined: list[_Entry] = []
    for entry in entries:
        if (
            entry.kind == "anchor" and len(joined) >= 2 and joined[-2].kind == "anchor"
            and joined[-1].kind == "text" and not _shown(joined[-1].elements[0]).strip()
        ):  # fmt: skip
            space = joined.pop()
            hide_texts(space.elements)
            joined[-1] = _Entry("anchor", [*joined[-1].elements, *space.elements, *entry.elements])
        else:
            joined.append(entry)
    return joined


def _field_chars(run: etree._Element) -> list[str]:
    return [char.get(_FLDCHAR_TYPE, "") for char in run if char.tag == _FLDCHAR]


def _field(children: Sequence[etree._Element], start: int) -> tuple[int, _Entry]:
    """The complex field beginning at `children[start]`: (index of its `end` run, its entry)."""
    depth, separate = 0, -1
    for index in range(start, len(children)):
        child = children[index]
        chars = _field_chars(child) if child.tag == _R else []
        if chars and (len(chars) > 1 or child.find(_T) is not None):
            raise _Unsupported("a run of several field characters, or of field characters and text")
        kind = chars[0] if chars else ""
        if kind == "begin":
            depth += 1
        elif kind == "separate" and depth == 1:
            separate = index
        elif kind == "end":
            depth -= 1
            if depth == 0:
                whole = list(children[start : index + 1])
                if separate < 0:  # no result: nothing shows
                    return index, _Entry("anchor", whole)
                if _instruction(children[start:separate]).split()[:1] in _PLACEHOLDER_FIELDS:
                    hide_texts(children[separate + 1 : index])  # «FirstName»: a mail merge's placeholder
                    return index, _Entry("anchor", whole)
                result = _entries(children[separate + 1 : index], nested=True)
                if not _has_text(result):
                    return index, _Entry("anchor", whole)
                group = _Group(0, "field", list(children[start : separate + 1]), [children[index]])
                return index, _Entry("group", whole, group, result)
        if depth <= 0:
            break
    raise _Unsupported("a field that ends outside its paragraph")


def _shown(run: etree._Element) -> str:
    return "".join(text.text or "" for text in run.iter(_T))


def _instruction(runs: Sequence[etree._Element]) -> str:
    """A complex field's instruction (` MERGEFIELD FirstName `), upper-cased."""
    return "".join(text.text or "" for run in runs for text in run.iter(_INSTRUCTION)).upper()


def _wrapper(element: etree._Element) -> _Entry:
    if element.tag == _FIELD_SIMPLE and element.get(_FIELD_INSTRUCTION, "").upper().split()[:1] in _PLACEHOLDER_FIELDS:
        hide_texts([element])  # «City»: a mail merge's placeholder, written as a simple field
        return _Entry("anchor", [element])
    container = element.find(_SDT_CONTENT) if element.tag == _SDT else element
    if container is None:
        return _Entry("anchor", [element])
    content = [child for child in container if element.tag == _SDT or not _is_properties(child)]
    entries = _entries(content, nested=True)
    if not _has_text(entries):
        return _Entry("anchor", [element])
    return _Entry("group", [element], _Group(0, "element", [element]), entries)


def _is_properties(child: etree._Element) -> bool:
    return isinstance(child.tag, str) and (child.tag.endswith("Pr") or child.tag == _w("fldData"))


def _holds_text(element: etree._Element) -> bool:
    return any(isinstance(inner.tag, str) and inner.tag in _HOLDS_TEXT for inner in element.iter())


def _has_text(entries: Iterable[_Entry]) -> bool:
    return any(entry.kind == "text" or (entry.kind == "group" and _has_text(entry.entries)) for entry in entries)


def _set_aside(paragraph: etree._Element, entries: list[_Entry], stash: etree._Element, numbers: _Numbers) -> bool:
    """Rebuild `paragraph` with its groups flattened into marked runs and its anchors between texts
    attached to their neighbours, recording both in `stash`; whether anything changed."""
    texts = [index for index, entry in enumerate(entries) if entry.kind in ("text", "group") or _keeps_text(entry)]
    if not texts:
        return False
    inside = range(texts[0] + 1, texts[-1])
    work = any(entry.kind == "group" for entry in entries) or any(entries[index].kind == "anchor" for index in inside)
    if not work:
        return False
    number = numbers.next()
    record = etree.SubElement(stash, "paragraph", number=str(number))
    carriers: dict[int, int] = {}  # id(run) -> carrier number
    out: list[etree._Element] = []
    anchors: list[tuple[_Entry, list[int], etree._Element, str]] = []  # entry, path, the run it goes with, side

    def flatten(level: list[_Entry], path: list[int], top: bool) -> None:
        for position, entry in enumerate(level):
            if entry.kind == "text":
                out.append(entry.elements[0])
                if not top:
                    carriers[id(entry.elements[0])] = numbers.next()
            elif entry.kind == "group":
                assert entry.group is not None  # noqa: S101 - a group entry has its group
                entry.group.number = numbers.next()
                _record_group(record, entry.group)
                flatten(entry.entries, [*path, entry.group.number], False)
            elif entry.kind == "anchor" and (not top or texts[0] < position < texts[-1]):
                before = _neighbour(level, position, -1)
                if before is not None:
                    anchors.append((entry, path, _last_text(before), "after"))

                elif (after := _neighbour(level, position, 1)) is not None:
                    anchors.append((entry, path, _first_text(after), "before"))
                else:
                    out.extend(entry.elements)  # between kept things only: left where it is
            else:
                out.extend(entry.elements)

    flatten(entries, [], True)
    for entry, path, target, side in anchors:  # after the last (before the first) text run of a neighbour
        carrier = carriers.setdefault(id(target), numbers.next())
        anchor = etree.SubElement(record, "anchor", carrier=str(carrier), side=side, path=" ".join(map(str, path)))
        if side == "after" and _ends_in_space(target):  # "Dear «FirstName»": a space before it, kept there
            anchor.set("spaced", "1")
        anchor.extend(copy.deepcopy(element) for element in entry.elements)
    for run in out:
        if id(run) in carriers:
            run.set(_CARRIER, str(carriers[id(run)]))
    for run, path in _paths(entries, []):
        if id(run) in carriers:
            etree.SubElement(record, "carrier", number=str(carriers[id(run)]), path=" ".join(map(str, path)))
    for child in list(paragraph):
        paragraph.remove(child)
    paragraph.extend(out)
    paragraph.set(_PARAGRAPH, str(number))
    return True


def _keeps_text(entry: _Entry) -> bool:
    return entry.kind == "keep" and isinstance(entry.elements[0].tag, str) and _holds_text(entry.elements[0])


def _neighbour(level: list[_Entry], position: int, step: int) -> _Entry | None:
    """The nearest text or group entry from `position` in direction `step`, past anchors only."""
    index = position + step
    while 0 <= index < len(level):
        entry = level[index]
        if entry.kind in ("text", "group"):
            return entry
        if entry.kind != "anchor":
            return None
        index += step
    return None


def _last_text(entry: _Entry) -> etree._Element:
    if entry.kind == "text":
        return entry.elements[0]
    return _last_text([inner for inner in entry.entries if inner.kind in ("text", "group")][-1])


def _first_text(entry: _Entry) -> etree._Element:
    if entry.kind == "text":
        return entry.elements[0]
    return _first_text([inner for inner in entry.entries if inner.kind in ("text", "group")][0])


def _paths(entries: list[_Entry], path: list[int]) -> Iterable[tuple[etree._Element, list[int]]]:
    for entry in entries:
        if entry.kind == "text":
            yield entry.elements[0], path
        elif entry.kind == "group" and entry.group is not None:
            yield from _paths(entry.entries, [*path, entry.group.number])


def _record_group(record: etree._Element, group: _Group) -> None:
    element = etree.SubElement(record, "group", number=str(group.number), kind=group.kind)
    if group.kind == "field":
        etree.SubElement(element, "before").extend(copy.deepcopy(run) for run in group.before)
        etree.SubElement(element, "after").extend(copy.deepcopy(run) for run in group.after)
        return
    shell = copy.deepcopy(group.before[0])
    container = shell.find(_SDT_CONTENT) if shell.tag == _SDT else shell
    assert container is not None  # noqa: S101 - checked when the wrapper was read
    for child in list(container):
        if shell.tag == _SDT or not _is_properties(child):
            container.remove(child)
    container.text = None
    etree.SubElement(element, "before").append(shell)


# --- restore -----------------------------------------------------------------------------------


def restore(package: bytes) -> bytes:
    """`package` (a translated .docx prepared by `prepare`) with what was set aside put back, and
    the stash removed; the same bytes when it holds no stash."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        if STASH not in archive.namelist():
            return package
        rewritten: dict[str, bytes] = {STASH: b""}
        content = archive.read(STASH)
        stash = etree.fromstring(content, _PARSER) if content else etree.Element("stash")
        for part in stash.iterfind("part"):
            name = part.get("name", "")
            if _STORY.match(name) and name in archive.namelist():
                rewritten[name] = _restore_part(archive.read(name), part)
        return _rewrite(archive, rewritten, drop_empty=STASH)


@dataclass(slots=True)
class _Open:
    """A group being rebuilt: where its runs go, and whether it is a field to close with its end."""

    number: int
    container: etree._Element
    closes_field: bool


class _Paragraph:
    """The rebuilding of one paragraph from its stash record."""

    def __init__(self, paragraph: etree._Element, record: etree._Element, ids: _Numbers) -> None:
        self.paragraph = paragraph
        self.groups = {int(group.get("number", "0")): group for group in record.iterfind("group")}
        self.paths = {
            int(carrier.get("number", "0")): [int(number) for number in carrier.get("path", "").split()]
            for carrier in record.iterfind("carrier")
        }
        self.anchors: dict[tuple[int, str], list[etree._Element]] = {}
        for anchor in record.iterfind("anchor"):
            self.anchors.setdefault((int(anchor.get("carrier", "0")), anchor.get("side", "")), []).append(anchor)
        self.stack: list[_Open] = []
        self.opened: set[int] = set()
        self.ids = ids

    def rebuild(self) -> None:
        children = list(self.paragraph)
        for child in children:
            self.paragraph.remove(child)
        carriers = [_carrier(child) for child in children]
        last = {number: index for index, number in enumerate(carriers) if number is not None}
        seen: set[int] = set()
        for index, child in enumerate(children):
            number = carriers[index]
            if number is None:
                following = next((n for n in carriers[index + 1 :] if n is not None), None) if child.tag == _R else None
                self._move_to(_common(self._path(), self.paths.get(following, [])) if following else [])
                self._emit(child)
                continue
            del child.attrib[_CARRIER]
            if number not in seen:
                seen.add(number)
                self._anchors(number, "before")
            self._move_to(self.paths.get(number, []))
            self._emit(child)
            if last[number] == index:
                attached = self.anchors.get((number, "after"), [])
                space = _trailing_space(child) if attached else None
                if space is not None and any(anchor.get("spaced") for anchor in attached):
                    space = self._space_before(space)  # "Querido «FirstName»": the space it had before it
                self._anchors(number, "after")
                if space is not None:  # "gato¹ es", not "gato ¹es": the space goes after what was attached
                    self._move_to(self.paths.get(number, []))
                    self._emit(space)
        self._move_to([])
        for number in sorted(set(self.paths) | {key[0] for key in self.anchors}):  # what the engine lost
            if number not in seen:
                self._anchors(number, "before")
                self._anchors(number, "after")
        for number, group in self.groups.items():
            if number not in self.opened and (
                group.get("kind") == "field" or _shell_tag(group) in (_SDT, _w("fldSimple"))
            ):
                self._move_to([number])
                self._move_to([])
        del self.paragraph.attrib[_PARAGRAPH]

    def _space_before(self, space: etree._Element) -> etree._Element | None:
        """Emit one space of `space` (a run of spaces) before what is attached; the rest, to go
        after it, or None."""
        text = space.find(_T)
        content = (text.text or "") if text is not None else ""
        if text is None or len(content) < 2:
            self._emit(space)
            return None
        before = copy.deepcopy(space)
        before_text = before.find(_T)
        if before_text is not None:
            before_text.text = content[0]
        text.text = content[1:]
        self._emit(before)
        return space

    def _path(self) -> list[int]:
        return [opened.number for opened in self.stack]

    def _container(self) -> etree._Element:
        return self.stack[-1].container if self.stack else self.paragraph

    def _emit(self, element: etree._Element) -> None:
        self._container().append(element)

    def _anchors(self, carrier: int, side: str) -> None:
        for anchor in self.anchors.pop((carrier, side), []):
            self._move_to([int(number) for number in anchor.get("path", "").split()])
            for element in anchor:
                self._emit(copy.deepcopy(element))

    def _move_to(self, path: list[int]) -> None:
        common = len(_common(self._path(), path))
        while len(self.stack) > common:
            closing = self.stack.pop()
            if closing.closes_field:
                group = self.groups[closing.number]
                for run in group.findall("after/*"):
                    closing.container.append(copy.deepcopy(run))
        for number in path[common:]:
            self._open(number)

    def _open(self, number: int) -> None:
        parent = self._container()
        group = self.groups.get(number)
        if group is None:
            self.stack.append(_Open(number, parent, False))
            return
        again = number in self.opened
        self.opened.add(number)
        if group.get("kind") == "field":
            if not again:
                parent.extend(copy.deepcopy(run) for run in group.findall("before/*"))
            self.stack.append(_Open(number, parent, not again))
            return
        shell_tag = _shell_tag(group)
        if again and shell_tag not in _DUPLICABLE:  # a content control or simple field is not split in two
            self.stack.append(_Open(number, parent, False))
            return
        shell = copy.deepcopy(group.find("before/*"))
        assert shell is not None  # noqa: S101 - an element group has its shell
        if again and shell.get(_ID) is not None:
            shell.set(_ID, str(self.ids.next()))
        parent.append(shell)
        container = shell.find(_SDT_CONTENT) if shell.tag == _SDT else shell
        self.stack.append(_Open(number, container if container is not None else shell, False))


def _ends_in_space(run: etree._Element) -> bool:
    text = run.find(_T)
    content = (text.text or "") if text is not None else ""
    return content != content.rstrip()


def _trailing_space(run: etree._Element) -> etree._Element | None:
    """The whitespace ending `run`'s text, taken off it into a run of its own (with the same
    properties); None when its text ends otherwise."""
    text = run.find(_T)
    content = text.text or "" if text is not None else ""
    stripped = content.rstrip()
    if text is None or not stripped or stripped == content:
        return None
    text.text = stripped
    space = etree.Element(_R)
    properties = run.find(_RPR)
    if properties is not None:
        space.append(copy.deepcopy(properties))
    etree.SubElement(space, _T).text = content[len(stripped) :]
    space[-1].set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return space


def _shell_tag(group: etree._Element) -> str:
    shell = group.find("before/*")
    return str(shell.tag) if shell is not None else ""


def _carrier(element: etree._Element) -> int | None:
    value = element.get(_CARRIER) if element.tag == _R else None
    return int(value) if value is not None and value.isdigit() else None


def _common(left: list[int], right: list[int]) -> list[int]:
    common: list[int] = []
    for one, other in zip(left, right, strict=False):
        if one != other:
            break
        common.append(one)
    return common


def _restore_part(xml: bytes, part: etree._Element) -> bytes:
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return xml
    records = {record.get("number"): record for record in part.iterfind("paragraph")}
    ids_used = (element.get(_ID) or "" for element in root.iter() if isinstance(element.tag, str))
    highest = max((int(value) for value in ids_used if value.isdigit()), default=0)
    ids = _Numbers(highest + 1_000_000)  # ids of insertions split in two: past every id in the part
    for paragraph in list(root.iter(_P)):
        record = records.get(paragraph.get(_PARAGRAPH))
        if record is not None:
            _Paragraph(paragraph, record, ids).rebuild()
        elif paragraph.get(_PARAGRAPH) is not None:
            del paragraph.attrib[_PARAGRAPH]
    for run in root.iter(_R):  # a mark the paragraph's record did not know: removed all the same
        if run.get(_CARRIER) is not None:
            del run.attrib[_CARRIER]
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _rewrite(archive: zipfile.ZipFile, rewritten: dict[str, bytes], *, drop_empty: str) -> bytes:
    """The archive's package with members replaced (or added, at its end) by `rewritten`, in their
    order; `drop_empty` is left out when its new content is empty."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = set()
        for member in archive.infolist():
            names.add(member.filename)
            content = rewritten.get(member.filename)
            if content is None:
                target.writestr(member, archive.read(member))
            elif content or member.filename != drop_empty:
                target.writestr(member, content)
        for name, content in rewritten.items():
            if name not in names and (content or name != drop_empty):
                target.writestr(name, content)
    return out.getvalue()
