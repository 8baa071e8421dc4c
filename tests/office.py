"""Office documents the tests build, with parts no handler translates (see formats.coverage)."""

from __future__ import annotations

import io
import zipfile

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches


def chart_deck() -> bytes:
    """A one-slide deck: a title, and a chart whose categories are words."""
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "The sales of the black cats"
    data = CategoryChartData()
    data.categories = ["East garden", "West garden"]
    data.add_series("Black cats", (19.2, 21.4))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def with_members(package: bytes, members: dict[str, bytes]) -> bytes:
    """`package` (a zip) with `members` added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in source.infolist():
            copy.writestr(member, source.read(member))
        for name, data in members.items():
            copy.writestr(name, data)
    return out.getvalue()
