"""OpenDocument text and presentations (.odt, .odp) rewritten, without changing what a reader of the
final document sees, into the shape Transfuse reads whole.

- A tracked deletion's text (`text:tracked-changes/text:changed-region/text:deletion`, its
  paragraphs) is the original's deleted text: no reader of the document sees it, so it is neither
  translated nor billed. Its paragraphs are hidden from the converter under another name
  (`text:dragoman-deleted-p`, `-h`), which `restore` gives back: the change stays recorded as it was.
- A footnote or endnote (`text:note`) inside a sentence ended the block too ("El jardín es verde[1]
  En el verano."). Its note is moved to the end of its paragraph, where it cuts nothing, and the
  word before it is wrapped in a span of ours (style `dragoman-note-<note id>`), which Transfuse
  carries with the word wherever the engine puts it; `restore` puts the note back after that word
  (after the punctuation that followed it, when some did) and unwraps the span. A note whose word
  the engine lost stays at its paragraph's end.
- A tracked insertion's marks (`text:change-start` ... `text:change-end`, siblings in one paragraph)
  cut the sentence three ways ("El <change-start/>grande <change-end/>la casa es aquí"). The words
  between them are wrapped in a span of ours (`dragoman-change-<id>`) that travels with them, and
  `restore` writes the marks back before the first of them and after the last, wherever the
  engine put them: they stay marked as inserted.
- Transfuse 0.5.8 ends a block at any element inside a paragraph that holds no text, so the mark
  of a deletion's place (`text:change`), a bookmark or a soft page break cut the sentence around it
  in two ("The house<change/> is red." came back "La casa Es rojo."). A soft page break is where
  the last layout broke the page, which the application computes again: it is removed. A deletion's
  mark and bookmarks are moved to the edge of their paragraph (a start to its beginning, the others
  to its end): the paragraph reads the same once its changes are accepted, and the bookmark covers
  it whole, as `wordruns` does for Word.

Only `content.xml` and `styles.xml` are touched, only when they hold one of these, and only up to
`MAX_PART_BYTES`; they are parsed without entities, network or DTD. Sources: OpenDocument 1.3 Part 3
§5.5 (change tracking: `text:tracked-changes`, `text:change`), §6.2.1 (bookmarks), §5.6
(`text:soft-page-break`).

Shapes: `prepare(package) -> package` and `restore(package) -> package`, each the same bytes when
there is nothing to do.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from lxml import etree

from dragoman.formats.packages import with_members
from dragoman.formats.xmltree import remove_keeping_tail

__all__ = ["MAX_PART_BYTES", "prepare", "restore"]

MAX_PART_BYTES = 8 * 1024 * 1024  # parsed whole: lxml takes about ten times a part's size
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_PARTS = ("content.xml", "styles.xml")
_PARAGRAPHS = frozenset({f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"})
_HIDDEN = {f"{{{_TEXT}}}p": f"{{{_TEXT}}}dragoman-deleted-p", f"{{{_TEXT}}}h": f"{{{_TEXT}}}dragoman-deleted-h"}
_SHOWN = {hidden: shown for shown, hidden in _HIDDEN.items()}
_TO_START = frozenset({f"{{{_TEXT}}}bookmark-start"})
_TO_END = frozenset({f"{{{_TEXT}}}change", f"{{{_TEXT}}}bookmark", f"{{{_TEXT}}}bookmark-end"})
_RECOMPUTED = f"{{{_TEXT}}}soft-page-break"
_TRIGGERS = (
    b"text:tracked-changes", b"<text:change ", b"<text:change-start", b"<text:bookmark", b"<text:soft-page-break",
    b"<text:note ",
)  # fmt: skip
_HIDDEN_MARKS = (b"dragoman-deleted-", b"dragoman-note-", b"dragoman-change-")
_NOTE, _SPAN = f"{{{_TEXT}}}note", f"{{{_TEXT}}}span"
_CHANGE_START, _CHANGE_END, _CHANGE_ID = (f"{{{_TEXT}}}{name}" for name in ("change-start", "change-end", "change-id"))
_STYLE, _NOTE_ID = f"{{{_TEXT}}}style-name", f"{{{_TEXT}}}id"
_NOTE_STYLE = re.compile(r"^dragoman-note-(p-)?(.+)$")  # p-: punctuation followed the word, before the note
_LAST_WORD = re.compile(r"(\w[\w'’-]*)([^\w\s]*)\Z")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def prepare(package: bytes) -> bytes:
    """`package` (an .odt or .odp) with deleted text hidden and point marks moved out of sentences."""
    return _rewrite(package, _prepare_part, lambda xml: any(trigger in xml for trigger in _TRIGGERS))


def restore(package: bytes) -> bytes:
    """`package` (translated) with the deleted text's paragraphs given back their names."""
    return _rewrite(package, _restore_part, lambda xml: any(mark in xml for mark in _HIDDEN_MARKS))


def _rewrite(package: bytes, change: Callable[[etree._Element], bool], wanted: Callable[[bytes], bool]) -> bytes:
    """`package` with each part `wanted` says holds work rewritten by `change` (when it changed it)."""
    rewritten: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for member in archive.infolist():
            if member.filename not in _PARTS or member.file_size > MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            if not wanted(xml):
                continue
            try:
                root = etree.fromstring(xml, _PARSER)
            except etree.XMLSyntaxError:
                continue  # left for the converter to refuse
            if change(root):
                declaration = xml.lstrip().startswith(b"<?xml")
                rewritten[member.filename] = etree.tostring(root, xml_declaration=declaration, encoding="UTF-8")
    return with_members(package, rewritten)


def _prepare_part(root: etree._Element) -> bool:
    changed = False
    for changes in root.iter(f"{{{_TEXT}}}tracked-changes"):
        for paragraph in list(changes.iter(*_PARAGRAPHS)):
            paragraph.tag = _HIDDEN[str(paragraph.tag)]
            changed = True
    for paragraph in list(root.iter(*_PARAGRAPHS)):
        for mark in list(paragraph.iter(_RECOMPUTED, *_TO_START, *_TO_END)):
            if mark is paragraph:
                continue
            remove_keeping_tail(mark)
            changed = True
            if mark.tag == _RECOMPUTED:
                continue
            if mark.tag in _TO_START:
                mark.tail, paragraph.text = paragraph.text, None
                paragraph.insert(0, mark)
            else:
                paragraph.append(mark)
    for note in list(root.iter(_NOTE)):
        changed = _note_to_end(note) or changed
    for start in list(root.iter(_CHANGE_START)):
        changed = _insertion_to_span(start) or changed
    return changed


def _insertion_to_span(start: etree._Element) -> bool:
    """Wrap what lies between a tracked insertion's marks (siblings in one paragraph) in a span of
    ours naming the change, the marks taken away; whether it did."""
    parent, identifier = start.getparent(), start.get(_CHANGE_ID)
    if parent is None or parent.tag not in _PARAGRAPHS or not identifier:
        return False
    end = next(
        (
            sibling
            for sibling in start.itersiblings()
            if sibling.tag == _CHANGE_END and sibling.get(_CHANGE_ID) == identifier
        ),
        None,
    )
    if end is None:
        return False
    inside = list(start.itersiblings())
    inside = inside[: inside.index(end)]
    words = (start.tail or "") + "".join("".join(str(t) for t in e.itertext()) + (e.tail or "") for e in inside)
    if not words.strip() or any(element.tag in _PARAGRAPHS or element.tag == _NOTE for element in inside):
        return False
    span = etree.Element(_SPAN, {_STYLE: f"dragoman-change-{identifier}"})
    span.text, span.tail = start.tail, end.tail
    start.addprevious(span)
    span.extend(inside)
    parent.remove(start)
    parent.remove(end)
    return True


def _note_to_end(note: etree._Element) -> bool:
    """Move `note` to the end of its paragraph, its word before it wrapped in a span naming it;
    whether it moved (not when text does not follow it, nor a word directly precede it)."""
    paragraph, identifier = note.getparent(), note.get(_NOTE_ID)
    if paragraph is None or paragraph.tag not in _PARAGRAPHS or not identifier:
        return False
    following = (note.tail or "") + "".join(
        "".join(str(piece) for piece in sibling.itertext()) + (sibling.tail or "") for sibling in note.itersiblings()
    )
    previous = note.getprevious()
    before = (previous.tail if previous is not None else paragraph.text) or ""
    word = _LAST_WORD.search(before)
    if not following.strip() or word is None:
        return False
    style = f"dragoman-note-{'p-' if word.group(2) else ''}{identifier}"
    span = etree.Element(_SPAN, {_STYLE: style})
    span.text, span.tail = word.group(1), word.group(2)
    kept = before[: word.start()]
    if previous is not None:
        previous.tail = kept
        previous.addnext(span)
    else:
        paragraph.text = kept
        paragraph.insert(0, span)
    remove_keeping_tail(note)
    paragraph.append(note)
    return True


def _restore_part(root: etree._Element) -> bool:
    hidden = [element for element in root.iter(*_SHOWN)]
    for element in hidden:
        element.tag = _SHOWN[str(element.tag)]
    changes: dict[tuple[int, str], list[etree._Element]] = {}  # (paragraph, change id) -> its spans
    for span in [span for span in root.iter(_SPAN) if (span.get(_STYLE) or "").startswith("dragoman-change-")]:
        paragraph = next((ancestor for ancestor in span.iterancestors() if ancestor.tag in _PARAGRAPHS), span)
        key = (id(paragraph), (span.get(_STYLE) or "").removeprefix("dragoman-change-"))
        changes.setdefault(key, []).append(span)
    for (_, identifier), pieces in changes.items():  # the marks around the inserted words, wherever they went
        pieces[0].addprevious(etree.Element(_CHANGE_START, {_CHANGE_ID: identifier}))
        closing = etree.Element(_CHANGE_END, {_CHANGE_ID: identifier})
        closing.tail, pieces[-1].tail = pieces[-1].tail, None
        pieces[-1].addnext(closing)
        for piece in pieces:
            _unwrap(piece)
    spans = [span for span in root.iter(_SPAN) if _NOTE_STYLE.match(span.get(_STYLE) or "")]
    notes = {note.get(_NOTE_ID): note for note in root.iter(_NOTE)}
    for span in spans:
        found = _NOTE_STYLE.match(span.get(_STYLE) or "")
        assert found is not None  # noqa: S101 - chosen above
        note = notes.pop(found.group(2), None)
        if note is not None:
            remove_keeping_tail(note)
            punctuation = re.match(r"[^\w\s]*", span.tail or "") if found.group(1) else None
            cut = punctuation.end() if punctuation is not None else 0
            note.tail, span.tail = (span.tail or "")[cut:], (span.tail or "")[:cut]
            span.addnext(note)
        _unwrap(span)
    return bool(hidden or spans or changes)


def _unwrap(element: etree._Element) -> None:
    """Replace `element` with its content (text, children, tail), in place."""
    parent = element.getparent()
    assert parent is not None  # noqa: S101 - a span is never the root
    previous, children = element.getprevious(), list(element)
    index, text, tail = parent.index(element), element.text or "", element.tail or ""
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
