"""What a document holds that its handler does not translate, said on the task as warnings, never
left silent: a reader who finds English in a "translated" document must be able to see why.

Office packages carry parts no handler here rewrites:

- embedded objects (`word/embeddings/`, `ppt/embeddings/`, `xl/embeddings/`, OpenDocument's
  `Object N/`): a spreadsheet or a document inside the document, to be translated as a document of
  its own;
- SmartArt diagrams (`*/diagrams/data*.xml`), whose text lives in the diagram's data model;
- the categories and series names of charts (`*/charts/chart*.xml`, `c:strCache`): they are copies
  of the cells of the workbook embedded with the chart, rewritten by the application from it; charts
  of the newer kinds (`chartEx*.xml`); in a workbook, charts' titles too (Word's and PowerPoint's
  are translated, `parts.py`);
- a presentation's comments;
- in a workbook, comments, drawings' text boxes, printed headers and footers, pivot tables'
  caches (their own copy of the cells, until refreshed), links' screen tips and the text written
  in number formats (the in-process workbook handler translates the cells' strings, data
  validations' messages, and says itself what of formulas and tables it keeps: `spreadsheet.py`);
- in a presentation, text written on slide masters and layouts outside placeholders (a tagline,
  a footer): shown on every slide that uses them.

Each check reads member names, and at most `_MAX_READ_BYTES` of a member, by pattern: no member
is parsed, so a hostile package (already screened for size and inflation) costs no more than its
screening. Sources: ECMA-376 Part 1 §21.2 (charts), §21.4 (diagrams), §18.7 (comments), §19.3
(slide masters and layouts), §18.10 (pivot caches), §18.3.1.47 (hyperlinks), §18.8.31 (number
formats); OpenDocument 1.3 §10.4.7 (embedded objects).

Shape: `untranslated(data: bytes, transfuse_format: str) -> list[DocumentWarning]`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from dragoman.domain.specs import DocumentWarning

__all__ = ["untranslated"]

_MAX_READ_BYTES = 4 * 1024 * 1024  # read of one member when looking for text in it
_LETTER = rb"[A-Za-z\xc0-\xff]"  # a letter, or the lead byte of a UTF-8 letter outside ASCII
_TEXT_RUN = re.compile(rb"<a:t>[^<]*" + _LETTER)  # DrawingML text with a letter in it
# a category or series name with a letter, looked for within its own cache (linear in the chart)
_CATEGORY = re.compile(rb"<(?:\w+:)?strCache>(?:[^<]|<(?!/(?:\w+:)?strCache>))*?<(?:\w+:)?v>[^<]*" + _LETTER)
_SHEET_HEADER = re.compile(rb"<(?:\w+:)?(?:odd|even|first)(?:Header|Footer)>[^<]*" + _LETTER)
# a chart or axis title written in the chart (not taken from a cell), with a letter
_CHART_TITLE = re.compile(rb"<(?:\w+:)?title>(?:[^<]|<(?!/(?:\w+:)?title>))*?<(?:\w+:)?t>[^<]*" + _LETTER)
# a pivot cache's copy of a cell's text (`<s v="The red apple"/>`), or a field named with words
_PIVOT_ITEM = re.compile(rb"<(?:\w+:)?(?:s|cacheField)\b[^<>]*\b(?:v|name)=\"[^\"<]*" + _LETTER)
_TOOLTIP = re.compile(rb"<(?:\w+:)?hyperlink\b[^<>]*\btooltip=\"[^\"<]*" + _LETTER)
# a number format's quoted text (`"Total: "0`), written `&quot;` in its attribute
_FORMAT_TEXT = re.compile(rb"\bformatCode=\"[^\"]*?&quot;(?:(?!&quot;)[^\"])*?" + _LETTER)
_SHAPE = re.compile(rb"<p:sp\b.*?</p:sp>", re.DOTALL)
_PLACEHOLDER = re.compile(rb"<p:ph\b")

_PREFIX = {"docx": "word", "pptx": "ppt", "xlsx": "xl"}


def untranslated(data: bytes, transfuse_format: str) -> list[DocumentWarning]:
    """The warnings for a document of `transfuse_format` (`docx`, `pptx`, `xlsx`, `odt`, `odp`,
    `ods`; others have none) whose bytes are `data`, in a stable order. A package that cannot be
    read has none here: reading it fails the task elsewhere."""
    if transfuse_format not in (*_PREFIX, "odt", "odp", "ods"):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = [member.filename for member in package.infolist() if not member.is_dir()]

            def read(name: str) -> bytes:
                with package.open(name) as member:
                    return member.read(_MAX_READ_BYTES)

            if transfuse_format in _PREFIX:
                return _office(_PREFIX[transfuse_format], names, read)
            return _opendocument(names, read)
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, EOFError):
        return []


def _office(prefix: str, names: list[str], read: Callable[[str], bytes]) -> list[DocumentWarning]:
    warnings: list[DocumentWarning] = []
    # a chart's own workbook is its data, which the chart's warning covers
    charts_data = b" ".join(read(name) for name in _matching(names, rf"^{prefix}/charts/_rels/[^/]+\.rels$"))
    embedded = [
        name
        for name in _matching(names, rf"^{prefix}/embeddings/")
        if name.rsplit("/", 1)[-1].encode() not in charts_data
    ]
    if embedded:
        warnings.append(
            DocumentWarning(
                "EmbeddedObjectNotTranslated",
                f"{_counted(len(embedded), 'embedded object')} {_be(len(embedded))} not translated "
                f"({_listed(embedded)}): translate each as a document of its own",
            )
        )
    diagrams = [name for name in _matching(names, rf"^{prefix}/diagrams/data\d*\.xml$") if _TEXT_RUN.search(read(name))]
    if diagrams:
        warnings.append(
            DocumentWarning(
                "DiagramNotTranslated", f"the text of {_counted(len(diagrams), 'SmartArt diagram')} is not translated"
            )
        )
    charts = [name for name in _matching(names, rf"^{prefix}/charts/chart\d*\.xml$") if _CATEGORY.search(read(name))]
    if charts:
        warnings.append(
            DocumentWarning(
                "ChartDataNotTranslated",
                f"the categories and series names of {_counted(len(charts), 'chart')} are not translated: they "
                "are the cells of each chart's own data, which the application rewrites from them",
            )
        )
    newer = _matching(names, rf"^{prefix}/charts/chartEx\d*\.xml$")
    if newer:
        warnings.append(
            DocumentWarning(
                "ChartNotTranslated",
                f"{_counted(len(newer), 'chart')} of a newer kind (treemap, sunburst, waterfall...: "
                f"{_listed(newer)}) {_be(len(newer))} not translated",
            )
        )
    if prefix == "ppt":
        comments = _matching(names, r"^ppt/comments/[^/]+\.xml$")
        if comments:
            warnings.append(
                DocumentWarning(
                    "CommentNotTranslated", f"the presentation's comments ({_listed(comments)}) are not translated"
                )
            )
    if prefix == "xl":
        warnings += _workbook(names, read)
    warnings += _by_rules(_DOCUMENT_RULES.get(prefix, ()), names, read)
    if prefix == "ppt":
        masters = [
            name
            for name in _matching(names, r"^ppt/(?:slideMasters/slideMaster|slideLayouts/slideLayout)\d*\.xml$")
            if any(_TEXT_RUN.search(shape) and not _PLACEHOLDER.search(shape) for shape in _SHAPE.findall(read(name)))
        ]
        if masters:
            warnings.append(
                DocumentWarning(
                    "MasterTextNotTranslated",
                    f"text on {_counted(len(masters), 'slide master or layout', 'slide masters or layouts')} "
                    f"({_listed(masters)}), shown on every slide that uses it, is not translated",
                )
            )
    return warnings


@dataclass(frozen=True, slots=True)
class _Rule:
    """What makes a warning: the members it looks at (a pattern of their names), what one of them
    must hold to count (None: being there is enough), and the warning's code and message (given the
    members found)."""

    members: str
    holds: re.Pattern[bytes] | None
    code: str
    message: Callable[[list[str]], str]


_WORKBOOK_RULES = (
    # Excel writes xl/comments1.xml and xl/threadedComments/threadedComment1.xml; openpyxl xl/comments/comment1.xml
    _Rule(
        r"^xl/(?:[^/]+/)?(?:comments?|threadedComment)[^/]*\.xml$", None, "CommentNotTranslated",
        lambda found: f"the workbook's comments ({_listed(found)}) are not translated",
    ),
    _Rule(
        r"^xl/drawings/drawing\d*\.xml$", _TEXT_RUN, "TextBoxNotTranslated",
        lambda found: f"the text of shapes and text boxes in {_counted(len(found), 'drawing')} is not translated",
    ),
    _Rule(
        r"^xl/charts/chart\d*\.xml$", _CHART_TITLE, "ChartTitleNotTranslated",
        lambda found: f"the titles of {_counted(len(found), 'chart')} in the workbook are not translated",
    ),
    _Rule(
        r"^xl/pivotCache/pivotCache(?:Definition|Records)\d*\.xml$", _PIVOT_ITEM, "PivotTableNotTranslated",
        lambda found: "the workbook's pivot tables show their own copy of the cells (their cache), which is not "
        "translated: refreshed, they show the translated cells",
    ),
    _Rule(
        r"^xl/worksheets/sheet\d*\.xml$", _TOOLTIP, "TooltipNotTranslated",
        lambda found: f"the screen tips of links in {_counted(len(found), 'sheet')} are not translated",
    ),
    _Rule(
        r"^xl/styles\.xml$", _FORMAT_TEXT, "NumberFormatTextNotTranslated",
        lambda found: "text written in the workbook's number formats (shown around the numbers) is not translated",
    ),
    _Rule(
        r"^xl/worksheets/sheet\d*\.xml$", _SHEET_HEADER, "HeaderFooterNotTranslated",
        lambda found: f"the printed headers and footers of {_counted(len(found), 'sheet')} are not translated",
    ),
)  # fmt: skip


_TIPPED = re.compile(rb"\b(?:w:tooltip|tooltip|office:title)=\"[^\"<]*" + _LETTER)  # a link's screen tip
_LEGACY_LIST = re.compile(rb"<w:listEntry\b[^<>]*\bw:val=\"[^\"<]*" + _LETTER)  # a Word 97 form drop-down's items
# an OpenDocument form list's or drop-down field's items (OpenDocument 1.3 §13.5.8, Part 3 §7.3.10 text:drop-down)
_FORM_OPTION = re.compile(
    rb"<(?:form:option|text:label)\b[^<>]*\b(?:form:label|form:value|text:value)=\"[^\"<]*" + _LETTER
)
_DOCUMENT_RULES: dict[str, tuple[_Rule, ...]] = {
    "word": (
        _Rule(
            r"^word/(?:document|header\d*|footer\d*|footnotes|endnotes)\.xml$", _TIPPED, "TooltipNotTranslated",
            lambda found: f"the screen tips of links in {_listed(found)} are not translated",
        ),
        _Rule(
            r"^word/(?:document|header\d*|footer\d*)\.xml$", _LEGACY_LIST, "FormFieldNotTranslated",
            lambda found: f"the items of legacy form drop-down lists in {_listed(found)} are not translated",
        ),
    ),
    "ppt": (
        _Rule(
            r"^ppt/slides/slide\d+\.xml$", _TIPPED, "TooltipNotTranslated",
            lambda found: f"the screen tips of links on {_counted(len(found), 'slide')} are not translated",
        ),
    ),
}  # fmt: skip
_OPENDOCUMENT_RULES = (
    _Rule(
        r"^(?:content|styles)\.xml$", _TIPPED, "TooltipNotTranslated",
        lambda found: f"the screen tips of links in {_listed(found)} are not translated",
    ),
    _Rule(
        r"^content\.xml$", _FORM_OPTION, "FormFieldNotTranslated",
        lambda found: "the items of the document's form fields (drop-down lists) are not translated",
    ),
)  # fmt: skip


def _workbook(names: list[str], read: Callable[[str], bytes]) -> list[DocumentWarning]:
    return _by_rules(_WORKBOOK_RULES, names, read)


def _by_rules(rules: tuple[_Rule, ...], names: list[str], read: Callable[[str], bytes]) -> list[DocumentWarning]:
    warnings: list[DocumentWarning] = []
    for rule in rules:
        holds = rule.holds
        found = [name for name in _matching(names, rule.members) if holds is None or holds.search(read(name))]
        if found:
            warnings.append(DocumentWarning(rule.code, rule.message(found)))
    return warnings


def _opendocument(names: list[str], read: Callable[[str], bytes]) -> list[DocumentWarning]:
    objects = sorted({name.split("/", 1)[0] for name in names if re.match(r"^Object \d+/content\.xml$", name)})
    ruled = _by_rules(_OPENDOCUMENT_RULES, names, read)
    if not objects:
        return ruled
    return ruled + [
        DocumentWarning(
            "EmbeddedObjectNotTranslated",
            f"{_counted(len(objects), 'embedded object')} {_be(len(objects))} not translated ({_listed(objects)}: "
            "charts, formulas or documents)",
        )
    ]


def _matching(names: list[str], pattern: str) -> list[str]:
    compiled = re.compile(pattern)
    return sorted((name for name in names if compiled.match(name)), key=_natural)


def _natural(name: str) -> tuple[str, int]:
    found = re.search(r"(\d+)\D*$", name)
    return (name[: found.start()] if found else name, int(found.group(1)) if found else 0)


def _counted(n: int, singular: str, plural: str | None = None) -> str:
    """'1 chart' or '3 charts'."""
    return f"{n} {singular}" if n == 1 else f"{n} {plural or singular + 's'}"


def _be(n: int) -> str:
    return "is" if n == 1 else "are"


def _listed(names: list[str], most: int = 3) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"
