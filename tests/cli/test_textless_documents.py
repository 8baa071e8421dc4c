"""A document whose only content is not text (a deck of charts, of pictures) fails with the code for
"nothing to translate", NoTranslatableText, not as a broken document or a converter fault: the
command line on decks built with python-pptx, a real process."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from dragoman.formats.textless import lacks_paragraphs
from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


def _deck(
    *, chart: bool = False, picture: bool = False, text: str | None = None, slides: int = 1, titled: bool = False
) -> bytes:
    deck = Presentation()
    deck.core_properties.comments = ""  # python-pptx describes every deck it makes: a text to translate
    for _ in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no placeholders
        if chart:
            data = CategoryChartData()  # type: ignore[no-untyped-call]
            data.categories = ["East", "West"]
            data.add_series("Sales", (1.0, 2.0))  # type: ignore[no-untyped-call]
            graphic = slide.shapes.add_chart(
                XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1), Inches(6), Inches(4), data
            )
            if titled:
                graphic.chart.has_title = True
                graphic.chart.chart_title.text_frame.text = "Sales by region"  # text inside the chart only
        if picture:
            slide.shapes.add_picture(io.BytesIO(_png()), Inches(1), Inches(1))
        if text is not None:
            slide.shapes.add_textbox(Inches(1), Inches(5), Inches(6), Inches(1)).text_frame.text = text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def test_decks_of_untitled_charts_or_pictures_only_fail_as_nothing_to_translate(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    (docs / "en" / "charts.pptx").write_bytes(_deck(chart=True, slides=2))
    (docs / "en" / "pictures.pptx").write_bytes(_deck(picture=True))
    (docs / "en" / "both.pptx").write_bytes(_deck(chart=True, picture=True))
    (docs / "en" / "worded.pptx").write_bytes(_deck(chart=True, text="The cat is black."))
    (docs / "en" / "titled.pptx").write_bytes(_deck(chart=True, titled=True))  # a chart's title is text
    env = {**environment(tmp_path / "data", [docs]), "COLUMNS": "200"}
    done = subprocess.run(
        [DRAGOMAN, "translate", str(docs / "en"), "--to", "es", "--out", str(docs / "out"), "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # some documents failed
    tasks = {Path(task["source"]).name: task for task in json.loads(done.stdout)["tasks"]}
    for name in ("charts.pptx", "pictures.pptx", "both.pptx"):
        assert tasks[name]["status"] == "failed", tasks[name]
        assert tasks[name]["error"]["code"] == "NoTranslatableText", tasks[name]
        assert "only content is not text" in tasks[name]["error"]["message"]
    assert tasks["worded.pptx"]["status"] == "succeeded", tasks["worded.pptx"]
    assert tasks["titled.pptx"]["status"] == "succeeded", tasks["titled.pptx"]
    assert tasks["titled.pptx"]["characters_charged"] == len("Sales by region")
    assert (docs / "out" / "es" / "worded.pptx").exists() and not (docs / "out" / "es" / "charts.pptx").exists()


def test_only_a_package_without_any_paragraph_is_called_textless() -> None:
    assert lacks_paragraphs(_deck(chart=True), "pptx")
    assert not lacks_paragraphs(_deck(chart=True, text="The cat."), "pptx")
    assert not lacks_paragraphs(_deck(picture=True, text=""), "pptx")  # an empty text box: a paragraph
    assert not lacks_paragraphs(b"not a zip", "pptx")  # unreadable: the converter's error stands
    assert not lacks_paragraphs(_deck(chart=True), "html")
