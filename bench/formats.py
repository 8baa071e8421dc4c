"""Per document format: characters/s through Dragoman ÷ characters/s through raw `apertium`, on the
same document, in the same run.

For each format a realistic document is built (≈60,000 characters of English in paragraphs, with
bold words, links, table cells, slides, cues or units as the format has them) and translated into
Spanish, ROUNDS times, by a one-document Dragoman job and by `apertium -f <format> eng-spa` where
Apertium has that format (txt, html, docx, pptx, xlsx, odt, odp). For the formats it lacks
(Markdown, subtitles, gettext, XLIFF, .ods) the baseline is `apertium -f txt` on the document's own
text (what a reader sees), which is the least any handler of the format must do. Each job is paired
with the raw run just before it and the median of the paired ratios is printed, with the raw
command's result size as a sanity check (an Apertium format mode that produced nothing is named).

Run: `.venv/bin/python bench/formats.py [format ...]` (no helpers or other benchmarks at the same
time: this machine has two cores).
"""

from __future__ import annotations

import io
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import WORDS, service, submit, wait, workspace  # noqa: E402

ROUNDS = 3
PARAGRAPHS = 400  # ≈150 characters each


def sentences(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(" ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "." for _ in range(2))
        for _ in range(PARAGRAPHS)
    ]


def _txt(paragraphs: list[str]) -> bytes:
    return ("\n\n".join(paragraphs) + "\n").encode()


def _html(paragraphs: list[str]) -> bytes:
    body = "\n".join(
        f'<p>{_bolded(text, "<b>", "</b>")} <a href="https://example.com/{n}">more</a></p>'
        for n, text in enumerate(paragraphs)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><title>Report</title></head><body>\n{body}\n</body></html>\n'.encode()
    )


def _bolded(text: str, start: str, end: str) -> str:
    words = text.split(" ")
    words[2] = f"{start}{words[2]}{end}"
    return " ".join(words)


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=10, cols=2)
    for n, text in enumerate(paragraphs):
        if n < 20:
            table.cell(n // 2, n % 2).text = text
            continue
        paragraph = document.add_paragraph()
        words = text.split(" ")
        paragraph.add_run(" ".join(words[:2]) + " ")
        paragraph.add_run(words[2]).bold = True
        paragraph.add_run(" " + " ".join(words[3:]))
    return _saved(document)


def _pptx(paragraphs: list[str]) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for start in range(0, len(paragraphs), 8):
        slide = deck.slides.add_slide(deck.slide_layouts[6])
        frame = slide.shapes.add_textbox(Inches(0.5), Inches(0.5), Inches(9), Inches(6)).text_frame
        frame.text = paragraphs[start]
        for text in paragraphs[start + 1 : start + 8]:
            frame.add_paragraph().text = text
    return _saved(deck)


def _xlsx(paragraphs: list[str]) -> bytes:
    """A workbook as Excel writes one: text in the shared strings table (openpyxl writes inline
    strings, which `apertium -f xlsx` does not read at all), a number beside each."""
    import zipfile
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rows = "".join(
        f'<row r="{n + 1}"><c r="A{n + 1}" t="s"><v>{n}</v></c><c r="B{n + 1}"><v>{n * 1.5}</v></c></row>'
        for n in range(len(paragraphs))
    )
    strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in paragraphs)
    members = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{relationships}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relationships}">'
        '<sheets><sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{relationships}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{relationships}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
        f"{rows}</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(paragraphs)}" '
        f'uniqueCount="{len(paragraphs)}">{strings}</sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return out.getvalue()


def _odf(kind: str) -> Callable[[list[str]], bytes]:
    def build(paragraphs: list[str]) -> bytes:
        from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
        from odf.table import Table, TableCell, TableRow
        from odf.text import P

        if kind == "ods":
            document = OpenDocumentSpreadsheet()
            table = Table(name="Sheet1")
            for text in paragraphs:
                row = TableRow()
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=text))
                row.addElement(cell)
                table.addElement(row)
            document.spreadsheet.addElement(table)
        elif kind == "odp":
            from odf.draw import Frame, Page, TextBox
            from odf.style import MasterPage, PageLayout

            document = OpenDocumentPresentation()
            layout = PageLayout(name="layout")
            document.automaticstyles.addElement(layout)
            master = MasterPage(name="master", pagelayoutname=layout)
            document.masterstyles.addElement(master)
            for start in range(0, len(paragraphs), 8):
                page = Page(masterpagename=master)
                frame = Frame(width="20cm", height="15cm", x="1cm", y="1cm")
                box = TextBox()
                for text in paragraphs[start : start + 8]:
                    box.addElement(P(text=text))
                frame.addElement(box)
                page.addElement(frame)
                document.presentation.addElement(page)
        else:
            document = OpenDocumentText()
            for text in paragraphs:
                document.text.addElement(P(text=text))
        out = io.BytesIO()
        document.write(out)
        return out.getvalue()

    return build


def _md(paragraphs: list[str]) -> bytes:
    blocks = [f"## {paragraphs[0]}"]
    blocks += [
        f"{_bolded(text, '**', '**')} See [the notes](https://example.com/{n})." for n, text in enumerate(paragraphs)
    ]
    return ("\n\n".join(blocks) + "\n").encode()


def _srt(paragraphs: list[str]) -> bytes:
    cues = [f"{n + 1}\n{_time(n, ',')} --> {_time(n + 1, ',')}\n{text}\n" for n, text in enumerate(paragraphs)]
    return "\n".join(cues).encode()


def _vtt(paragraphs: list[str]) -> bytes:
    cues = [f"{_time(n, '.')} --> {_time(n + 1, '.')}\n{text}\n" for n, text in enumerate(paragraphs)]
    return ("WEBVTT\n\n" + "\n".join(cues)).encode()


def _time(seconds: int, separator: str) -> str:
    return f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}{separator}000"


def _po(paragraphs: list[str]) -> bytes:
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: es\\n"\n'
    entries = [f'#: app.py:{n}\nmsgid "{text}"\nmsgstr ""\n' for n, text in enumerate(paragraphs)]
    return "\n".join([header, *entries]).encode()


def _xliff(paragraphs: list[str]) -> bytes:
    units = "\n".join(
        f'<trans-unit id="u{n}"><source>{_bolded(text, _group(n), "</g>")}</source></trans-unit>'
        for n, text in enumerate(paragraphs)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        f'<file original="app" source-language="en" target-language="es" datatype="plaintext"><body>\n{units}\n'
        "</body></file></xliff>\n"
    ).encode()


def _group(n: int) -> str:
    return f'<g id="b{n}">'


def _saved(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


# name -> (extension, builder, Apertium's own format mode or None)
FORMATS: dict[str, tuple[str, Callable[[list[str]], bytes], str | None]] = {
    "txt": (".txt", _txt, "txt"),
    "html": (".html", _html, "html"),
    "docx": (".docx", _docx, "docx"),
    "pptx": (".pptx", _pptx, "pptx"),
    "xlsx": (".xlsx", _xlsx, "xlsx"),
    "odt": (".odt", _odf("odt"), "odt"),
    "odp": (".odp", _odf("odp"), "odp"),
    "ods": (".ods", _odf("ods"), None),
    "md": (".md", _md, None),
    "srt": (".srt", _srt, None),
    "vtt": (".vtt", _vtt, None),
    "po": (".po", _po, None),
    "xliff": (".xlf", _xliff, None),
}


def raw_apertium(document: Path, mode: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["apertium", "-u", "-f", mode, "eng-spa", str(document), str(out)], check=True)
    return time.perf_counter() - started


def main() -> None:
    chosen = sys.argv[1:] or list(FORMATS)
    root = workspace()
    text = sentences(7)
    plain = root / "plain.txt"
    plain.write_bytes(_txt(text))
    rows: list[str] = []
    with service(root) as app:
        app.engine.warm("en", "es")  # type: ignore[attr-defined]
        for name in chosen:
            extension, build, mode = FORMATS[name]
            folder = root / name
            folder.mkdir()
            document = folder / f"report{extension}"
            document.write_bytes(build(text))
            baseline, baseline_mode = (document, mode) if mode else (plain, "txt")
            ratios: list[float] = []
            characters = 0
            raw_size = 0
            job_seconds: list[float] = []
            for round_number in range(ROUNDS):
                raw_out = root / f"raw-{name}-{round_number}{extension if mode else '.txt'}"
                raw = raw_apertium(baseline, baseline_mode, raw_out)
                raw_size = raw_out.stat().st_size
                out = root / f"out-{name}-{round_number}"
                started = datetime.now(UTC)
                job_id = submit(app, folder, out)
                wait(app, job_id, poll=0.05)
                view = app.get(job_id)
                assert view.status.value == "succeeded", (name, app.tasks(job_id))
                seconds = (view.job.updated_at - started).total_seconds()
                characters = view.summary.characters_charged
                job_seconds.append(seconds)
                ratios.append(raw / seconds)
            rows.append(
                f"{name:<6} {characters:>7} chars  "
                f"dragoman {characters / statistics.median(job_seconds):>9,.0f} chars/s  "
                f"ratio {statistics.median(ratios):.2f} vs apertium -f {baseline_mode}"
                + ("" if mode else " (its text)")
                + ("" if raw_size else "  [apertium wrote nothing]")
            )
            print(rows[-1], flush=True)
    print(f"\nrounds: {ROUNDS}; ratio = raw seconds / dragoman seconds (median of pairs; ≥ 1 is faster than raw)")


if __name__ == "__main__":
    main()
