"""Word documents rewritten, without changing what they show, into the shape Transfuse can read.

Transfuse 0.5.8 (Debian's) dies of a segmentation fault on a run (`<w:r>`) that holds two text
elements (`<w:t>`), which python-docx writes for any paragraph with a tab or a line break in it
(`<w:r><w:t>Hello</w:t><w:tab/><w:t>world</w:t></w:r>`) and Word writes too. Such a run is split
into runs of one text element each, every one with a copy of the run's properties (`<w:rPr>`): Word
shows the same thing. Transfuse also ends a block at a bookmark or a comment's range mark inside a paragraph, so the
sentence around it was translated in pieces ("La reunión Inicios en nueve Por la mañana"). Such
marks, which Word does not show, are moved to the edges of their paragraph (a start to its
beginning, an end to its end): the bookmark or the comment's range then covers the whole paragraph,
and the sentence is translated whole. An editing permission's range (`w:permStart`, `w:permEnd`) is
moved the same way.

Transfuse also dies of a segmentation fault on an empty text element (`<w:t/>`) in a paragraph of
several texts: empty text elements are removed, and so are runs they leave with nothing but
properties. And it reads a formatting change inside a word ("beau" plain, "tiful" bold: two runs)
as two words, which the engine translates apart ("pretendiente tiful"). Such a word is given to the
run that holds most of its letters (the first on a tie): "beautiful" all bold, one word, one
translation.

Transfuse moves a hyperlink's (`<w:hyperlink>`) first child out of it, takes that for the text
of its runs, and drops the rest: it dies of a segmentation fault when the first child holds no
element (the line break and indentation a pretty-printed document writes there, python-docx's own
test files among them; an empty hyperlink; a bookmark or an empty run first in it), and loses
whatever follows a break in its runs (a tab run, a run without text, a field's characters: the
words after them were lost). Whitespace between elements, which no reader shows (only a text
element's is text), is removed from paragraphs; it also cut a pretty-printed sentence into one
block per run. Each hyperlink is then cut, where its content changes kind, into hyperlinks of the
same target: those holding runs of text are left to Transfuse; the others (a tab, a picture, a
field's characters, nothing at all) are hidden from it under another name (`w:dragomanHyperlink`),
which `restore` gives back after the converter. Word shows the same, and every piece still links.
Runs holding nothing but their properties, which show nothing, are removed.

Only the story parts (body, headers, footers, notes, comments) are touched,
only when one of their runs or marks needs it, and only parts up to `_MAX_PART_BYTES` (larger ones are left
as they are; the screening has already bounded what a package may hold).
"""

from __future__ import annotations

import copy
import re
import zipfile
from collections.abc import Iterable
from io import BytesIO

from lxml import etree

from dragoman.errors import DocumentTooComplex
from dragoman.formats.packages import with_members
from dragoman.formats.xmltree import remove_keeping_tail

__all__ = ["KEPT_TEXT", "MAX_BREAKS", "fallback_characters", "hide_texts", "restore", "split_multi_text_runs"]

# Tabs and line breaks in one paragraph: each ends a block of the converter (see `_BREAKS`), whose
# rebuild takes time that grows with the square of a paragraph's blocks (10,000: some seconds).
MAX_BREAKS = 10_000

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RUN, _TEXT, _PROPERTIES = f"{{{_W}}}r", f"{{{_W}}}t", f"{{{_W}}}rPr"
_PARAGRAPH, _PARAGRAPH_PROPERTIES = f"{{{_W}}}p", f"{{{_W}}}pPr"
_CONTENT = frozenset({_RUN, f"{{{_W}}}hyperlink", f"{{{_W}}}smartTag", f"{{{_W}}}ins"})  # what holds text
_STARTS = frozenset({f"{{{_W}}}bookmarkStart", f"{{{_W}}}commentRangeStart", f"{{{_W}}}permStart"})
_ENDS = frozenset({f"{{{_W}}}bookmarkEnd", f"{{{_W}}}commentRangeEnd", f"{{{_W}}}permEnd"})
_MARKS = (b"<w:bookmarkStart", b"<w:commentRangeStart", b"<w:permStart")
_BREAK_MARKS = (b"<w:tab/>", b"<w:br", b"<w:cr", b"<w:ptab")
_OTHER_MARKS = (b"<w:hyperlink", b"<w:moveFrom", b"Hyphen", b"<w:dropDownList", b"<w:comboBox", b"<w:ins ", b"<w:del ")
_WORD = re.compile(r"\w+")
_WORD_START, _WORD_END = re.compile(r"\w+"), re.compile(r"\w\Z")
_INSERTED, _DELETED = f"{{{_W}}}ins", f"{{{_W}}}del"
# A tab, a line break (Shift+Enter, or a page break) or a carriage return inside a run: given a run of its
# own, where Transfuse ends a block (breaks.py says why); in a run with text it became part of the
# run's formatting, and runs of the same formatting were merged ("Item⇥Price⇥Quantity" -> "PriceQuantity").
_BREAKS = frozenset(f"{{{_W}}}{name}" for name in ("tab", "br", "cr", "ptab"))
_RECOMPUTED = (f"{{{_W}}}proofErr", f"{{{_W}}}lastRenderedPageBreak")
_HYPERLINK, _HIDDEN_HYPERLINK = f"{{{_W}}}hyperlink", f"{{{_W}}}dragomanHyperlink"  # the second: ours, hidden
# Elements whose whitespace is text a reader sees (or a field's instruction); elsewhere it is layout.
_TEXT_HOLDERS = frozenset(f"{{{_W}}}{name}" for name in ("t", "delText", "instrText", "delInstrText"))
_LAYOUT = re.compile(rb">\s+<w:(?:r|t|hyperlink)[\s/>]")  # a pretty-printed paragraph
_HIDDEN_MARKS = (b"dragomanHyperlink", b"dragomanKeptText")
# Text a reader of the final document does not see, hidden from the converter (not translated, not
# billed) under another name that `restore` gives back: a tracked move's old place (`w:moveFrom`, shown
# struck through, as a deletion is; its runs hold `w:t`, where a deletion's hold `w:delText`).
_MOVED_AWAY, KEPT_TEXT = f"{{{_W}}}moveFrom", f"{{{_W}}}dragomanKeptText"  # the second: see `hide_texts`
# A content control's drop-down list or combo box (ECMA-376 Part 1 §17.5.2.15, §17.5.2.5): its shown value
_CONTROL, _CONTROL_PROPERTIES, _CONTROL_CONTENT = f"{{{_W}}}sdt", f"{{{_W}}}sdtPr", f"{{{_W}}}sdtContent"
_LISTS = (f"{{{_W}}}dropDownList", f"{{{_W}}}comboBox")
# A non-breaking hyphen is a character in a word ("well‑known"): written as one (U+2011), so that the
# converter does not end a sentence at it; an optional hyphen only says where the word may be cut at
# a line's end, which its translation does not keep (ECMA-376 Part 1 §17.3.3.18, §17.3.3.29).
_NO_BREAK_HYPHEN, _SOFT_HYPHEN = f"{{{_W}}}noBreakHyphen", f"{{{_W}}}softHyphen"
_STORY = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_MAX_PART_BYTES = 8 * 1024 * 1024  # parsed whole: lxml takes about ten times a part's size
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def split_multi_text_runs(package: bytes) -> bytes:
    """`package` (a .docx) with every run of several text elements split into runs of one each; the
    same bytes when no run needs it. Parts that are not well-formed XML are left for the converter
    to refuse. Raises DocumentTooComplex for a paragraph of more than MAX_BREAKS tabs and breaks."""
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = archive.infolist()
        rewritten: dict[str, bytes] = {}
        hidden_already = any(  # our hiding names, written by someone else: nothing is hidden
            mark in archive.read(member) for member in members for mark in _HIDDEN_MARKS
            if _STORY.match(member.filename) and member.file_size <= _MAX_PART_BYTES
        )  # fmt: skip
        for member in members:
            if not _STORY.match(member.filename) or member.file_size > _MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            marked = any(mark in xml for mark in (*_MARKS, *_BREAK_MARKS, *_OTHER_MARKS)) or bool(_LAYOUT.search(xml))
            if sum(xml.count(text) for text in (b"<w:t>", b"<w:t ", b"<w:t/>")) < 2 and not marked:
                continue
            split = _split(xml, hide=not hidden_already)
            if split is not None:
                rewritten[member.filename] = split
    return with_members(package, rewritten)


_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def fallback_characters(package: bytes) -> int:
    """The characters of the paragraphs a .docx writes twice: in a drawing's fallback
    (`mc:AlternateContent/mc:Fallback`, a text box's VML copy for old readers) besides its modern form.
    Both copies are translated, so that every reader sees the translation; the copy is not billed.
    Source: ECMA-376 Part 3 §10.2 (markup compatibility: Choice and Fallback)."""
    total = 0
    with zipfile.ZipFile(BytesIO(package)) as archive:
        for member in archive.infolist():
            if not _STORY.match(member.filename) or member.file_size > _MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            if b"Fallback" not in xml:
                continue
            try:
                root = etree.fromstring(xml, _PARSER)
            except etree.XMLSyntaxError:
                continue
            for fallback in root.iter(_FALLBACK):
                for paragraph in fallback.iter(_PARAGRAPH):
                    total += len("".join(text.text or "" for text in paragraph.iter(_TEXT)).strip())
    return total


def restore(package: bytes) -> bytes:
    """`package` (a translated .docx) with the hyperlinks `split_multi_text_runs` hid from the
    converter given back their name; the same bytes when it hid none."""
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = archive.infolist()
        rewritten: dict[str, bytes] = {}
        for member in members:
            if not _STORY.match(member.filename) or member.file_size > _MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            if not any(mark in xml for mark in _HIDDEN_MARKS):
                continue
            try:
                root = etree.fromstring(xml, _PARSER)
            except etree.XMLSyntaxError:
                continue
            for hidden in root.iter(_HIDDEN_HYPERLINK):
                hidden.tag = _HYPERLINK
            for hidden in root.iter(KEPT_TEXT):
                hidden.tag = _TEXT
            rewritten[member.filename] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return with_members(package, rewritten)


def _split(xml: bytes, *, hide: bool = True) -> bytes | None:
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None
    _check_breaks(root)
    changed = _drop_layout(root)
    changed = _hyphens_to_text(root) or changed
    if hide:
        changed = _hide_moved_away(root) or changed
        changed = _hide_list_choices(root) or changed
    changed = _marks_to_edges(root) or changed
    changed = _changes_out_of_words(root) or changed
    changed = _drop_empty_texts(root) or changed
    for run in list(root.iter(_RUN)):
        texts = [child for child in run if child.tag == _TEXT]
        breaks = [child for child in run if child.tag in _BREAKS]
        if len(texts) < 2 and not (texts and breaks):
            continue
        changed = True
        properties = run.find(_PROPERTIES)
        content = [child for child in run if child is not properties]
        groups: list[list[etree._Element]] = [[]]
        for child in content:  # each group: what comes before a text element, then that element;
            if child.tag in _BREAKS:  # a break alone, so that the converter ends a sentence there
                groups.extend([[child], []])
                continue
            groups[-1].append(child)
            if child.tag == _TEXT:
                groups.append([])
        groups = [group for group in groups if group]
        parent = run.getparent()
        assert parent is not None  # noqa: S101 - a run is never the root
        position = parent.index(run)
        for number, group in enumerate(groups):
            piece = etree.Element(run.tag, attrib=dict(run.attrib), nsmap=run.nsmap)
            if properties is not None:
                piece.append(copy.deepcopy(properties))
            for child in group:
                piece.append(child)
            parent.insert(position + number, piece)
        piece.tail = run.tail
        parent.remove(run)
    changed = _whole_words(root) or changed
    changed = _drop_empty_runs(root) or changed
    if hide:
        changed = _cut_hyperlinks(root) or changed
    if not changed:
        return None
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return result


def _check_breaks(root: etree._Element) -> None:
    """Raise DocumentTooComplex when a paragraph holds more than MAX_BREAKS tabs and line breaks."""
    for paragraph in root.iter(_PARAGRAPH):
        count = sum(1 for _ in paragraph.iter(*_BREAKS))
        if count > MAX_BREAKS:
            raise DocumentTooComplex(
                f"a paragraph of the Word document holds {count} tabs and line breaks, more than {MAX_BREAKS}: "
                "the converter's time grows with the square of their number"
            )


def _hyphens_to_text(root: etree._Element) -> bool:
    """Write each non-breaking hyphen as a text element of its character (U+2011), and remove each
    optional hyphen; whether there was any."""
    found = False
    for hyphen in list(root.iter(_NO_BREAK_HYPHEN, _SOFT_HYPHEN)):
        found = True
        if hyphen.tag == _SOFT_HYPHEN:
            remove_keeping_tail(hyphen)
            continue
        hyphen.tag = _TEXT
        hyphen.attrib.clear()
        hyphen.text = "\u2011"
    return found


def hide_texts(elements: Iterable[etree._Element]) -> bool:
    """Rename the text elements inside `elements` (`KEPT_TEXT`), so that the converter neither
    reads nor bills them; `restore` gives their name back. Whether there was any."""
    hidden = False
    for element in elements:
        for text in element.iter(_TEXT):
            text.tag = KEPT_TEXT
            hidden = True
    return hidden


def _hide_moved_away(root: etree._Element) -> bool:
    """Hide the text of every tracked move's old place (`hide_texts`); whether there was any."""
    return hide_texts(list(root.iter(_MOVED_AWAY)))


def _hide_list_choices(root: etree._Element) -> bool:
    """Hide the text of the value shown by every drop-down list or combo box (`hide_texts`): it is
    translated with its list's items (metadata.py), so that it stays one of them; whether any was."""
    shown = []
    for control in root.iter(_CONTROL):
        properties, content = control.find(_CONTROL_PROPERTIES), control.find(_CONTROL_CONTENT)
        if properties is not None and content is not None and any(properties.find(kind) is not None for kind in _LISTS):
            shown.append(content)
    return hide_texts(shown)


def _changes_out_of_words(root: etree._Element) -> bool:
    """Take tracked changes out of the words they cut (what Track Changes records for a typo fixed,
    `hou<w:ins>s</w:ins>e`, `hou<w:del>x</w:del>se`), which the engine could not read as one word:
    an insertion inside a word gives its letters to the word (the word is translated, so its new
    letters are no longer a change of their own); a deletion goes after the word. Whether any did."""
    changed = False
    for change in list(root.iter(_INSERTED, _DELETED)):
        parent = change.getparent()
        if parent is None or parent.tag != _PARAGRAPH:
            continue
        before, after = change.getprevious(), change.getnext()
        ends = before is not None and _only_text(before) is not None
        ends = ends and before is not None and _WORD_END.search(before.findtext(_TEXT) or "") is not None
        starts = after is not None and _only_text(after) is not None
        starts = starts and after is not None and _WORD_START.match(after.findtext(_TEXT) or "") is not None
        if change.tag == _INSERTED:
            inserted = "".join(text.text or "" for text in change.iter(_TEXT))
            runs = [child for child in change if child.tag == _RUN]
            if (
                not inserted
                or len(runs) != len(change)
                or not ((ends and _WORD_START.match(inserted)) or (starts and _WORD_END.search(inserted)))
            ):
                continue
            position = parent.index(change)
            tail = change.tail
            parent.remove(change)
            for offset, run in enumerate(runs):
                parent.insert(position + offset, run)
            runs[-1].tail = tail
            changed = True
        elif ends and starts and after is not None:
            text = after.find(_TEXT)
            assert text is not None  # noqa: S101 - `starts` found its text
            content = text.text or ""
            rest = _WORD_START.match(content)
            assert rest is not None  # noqa: S101 - `starts` matched it
            parent.remove(change)
            if rest.end() < len(content):  # the word's end, then a run of what follows it
                following = copy.deepcopy(after)
                following_text = following.find(_TEXT)
                assert following_text is not None  # noqa: S101 - a copy of `after`
                following_text.text = content[rest.end() :]
                following_text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                text.text = content[: rest.end()]
                after.addnext(following)
            after.addnext(change)
            change.tail = None
            changed = True
    return changed


def _drop_layout(root: etree._Element) -> bool:
    """Remove the whitespace between a paragraph's elements (outside text elements); whether any was."""
    dropped = False
    for paragraph in root.iter(_PARAGRAPH):
        for element in paragraph.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{_W}}}"):
                continue
            if element.tag not in _TEXT_HOLDERS and element.text is not None and not element.text.strip():
                element.text = None
                dropped = True
            for child in element:
                if child.tail is not None and not child.tail.strip():
                    child.tail = None
                    dropped = True
    return dropped


def _drop_empty_runs(root: etree._Element) -> bool:
    """Remove every run holding nothing but its properties (it shows nothing); whether any was."""
    empty = [run for run in root.iter(_RUN) if all(child.tag == _PROPERTIES for child in run)]
    for run in empty:
        remove_keeping_tail(run)
    return bool(empty)


def _cut_hyperlinks(root: etree._Element) -> bool:
    """Cut each hyperlink where its content changes kind into hyperlinks of the same attributes: runs
    of text (left to the converter), anything else (hidden from it); drop text written directly in
    a hyperlink, which no reader sees. Innermost first. Whether anything changed."""
    changed = False
    for link in reversed(list(root.iter(_HYPERLINK))):
        stray = bool(link.text) or any(child.tail for child in link)
        link.text = None
        pieces: list[tuple[bool, list[etree._Element]]] = []
        for child in link:
            child.tail = None
            is_text = child.tag == _RUN and child.find(_TEXT) is not None
            if pieces and pieces[-1][0] == is_text:
                pieces[-1][1].append(child)
            else:
                pieces.append((is_text, [child]))
        changed = changed or stray
        if len(pieces) == 1 and pieces[0][0]:
            continue
        changed = True
        parent = link.getparent()
        assert parent is not None  # noqa: S101 - a hyperlink is never the root
        position, tail = parent.index(link), link.tail
        parent.remove(link)
        for number, (is_text, children) in enumerate(pieces or [(False, [])]):
            piece = etree.Element(_HYPERLINK if is_text else _HIDDEN_HYPERLINK)
            for name, value in link.attrib.items():
                piece.set(name, value)
            piece.extend(children)
            parent.insert(position + number, piece)
            piece.tail = None
        parent[position + max(len(pieces), 1) - 1].tail = tail
    return changed


def _marks_to_edges(root: etree._Element) -> bool:
    """Move every bookmark and comment-range mark that sits between a paragraph's texts to the
    paragraph's edge (starts after its properties, ends last); whether anything moved."""
    moved = False
    for paragraph in root.iter(_PARAGRAPH):
        children = list(paragraph)
        texts = [index for index, child in enumerate(children) if child.tag in _CONTENT and _has_text(child)]
        if not texts:
            continue
        first, last = texts[0], texts[-1]
        starts = [child for index, child in enumerate(children) if child.tag in _STARTS and index > first]
        ends = [child for index, child in enumerate(children) if child.tag in _ENDS and index < last]
        for mark in starts:
            paragraph.remove(mark)
        for mark in reversed(starts):
            properties = paragraph.find(_PARAGRAPH_PROPERTIES)
            paragraph.insert(paragraph.index(properties) + 1 if properties is not None else 0, mark)
        for mark in ends:
            paragraph.remove(mark)
            paragraph.append(mark)
        moved = moved or bool(starts or ends)
    return moved


def _has_text(element: etree._Element) -> bool:
    return any((text.text or "").strip() for text in element.iter(_TEXT))


def _drop_empty_texts(root: etree._Element) -> bool:
    """Remove every empty text element, and every run it leaves holding nothing but its properties
    (Transfuse 0.5.8 segfaults on an empty `<w:t/>`), and the marks Word recomputes and no reader
    sees (proofing marks, where a page last broke: Transfuse drops them too, after its look for
    words cut by formatting); whether anything was removed."""
    removed = False
    for mark in [element for element in root.iter(*_RECOMPUTED)]:
        remove_keeping_tail(mark)
        removed = True
    for text in [text for text in root.iter(_TEXT) if not text.text]:
        run = text.getparent()
        assert run is not None  # noqa: S101 - a text element is never the root
        run.remove(text)
        removed = True
        if run.tag == _RUN and all(child.tag == _PROPERTIES for child in run):
            remove_keeping_tail(run)
    return removed


def _whole_words(root: etree._Element) -> bool:
    """Give each word that a run boundary cuts to the run holding most of its letters (the first on
    a tie), among runs next to each other that hold only a text element; whether anything moved."""
    moved = False
    parents = {id(parent): parent for run in root.iter(_RUN) if (parent := run.getparent()) is not None}
    for parent in parents.values():
        stretch: list[etree._Element] = []  # the text elements of runs side by side, of the same attributes
        for child in [*parent, None]:
            text = _only_text(child) if child is not None else None
            if text is not None and (not stretch or _attributes(child) == _attributes(stretch[-1].getparent())):
                stretch.append(text)
                continue
            moved = _rejoin_words(stretch) or moved
            stretch = [text] if text is not None else []
    return moved


def _attributes(run: etree._Element | None) -> dict[str, str]:
    """A run's attributes but its revision marks (`w:rsid*`): runs that differ otherwise (a mark of
    wordinline's) keep their letters."""
    if run is None:
        return {}
    attributes = {str(name): str(value) for name, value in run.attrib.items()}
    return {name: value for name, value in attributes.items() if not etree.QName(name).localname.startswith("rsid")}


def _only_text(run: etree._Element) -> etree._Element | None:
    """The text element of a run that holds nothing else (besides its properties), or None."""
    if run.tag != _RUN:
        return None
    content = [child for child in run if child.tag != _PROPERTIES]
    return content[0] if len(content) == 1 and content[0].tag == _TEXT else None


def _rejoin_words(texts: list[etree._Element]) -> bool:
    """Within `texts` (the text elements of neighbouring runs), move each cut word's letters to the
    run that holds most of them. Runs left without text are removed; whether anything moved."""
    if len(texts) < 2:
        return False
    pieces = [text.text or "" for text in texts]
    owner = [index for index, piece in enumerate(pieces) for _ in piece]  # each character's run
    joined = "".join(pieces)
    keep = list(owner)
    for word in _WORD.finditer(joined):
        runs = owner[word.start() : word.end()]
        if len(set(runs)) < 2:
            continue
        winner = max(sorted(set(runs)), key=runs.count)  # sorted: the first run wins a tie
        keep[word.start() : word.end()] = [winner] * (word.end() - word.start())
    if keep == owner:
        return False
    rebuilt = ["" for _ in texts]
    for character, index in zip(joined, keep, strict=True):
        rebuilt[index] += character
    for text, content in zip(texts, rebuilt, strict=True):
        if content:
            text.text = content
            if content != content.strip():
                text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        else:
            run = text.getparent()
            assert run is not None  # noqa: S101 - a text element is never the root
            remove_keeping_tail(run)
    return True
