"""What the progress lines show, rendered as a terminal of a given width shows them."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from dragoman.cli.progress import Snapshot


def rendered(snapshot: Snapshot, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(snapshot)
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


def test_at_60_columns_the_current_document_keeps_the_start_and_the_end_of_its_name() -> None:
    # Red team: cut from the left, `…th_a_rather_long_file_name_for_testing.txt -> es (+15 more)`
    # was the same for each of the job's 36 documents, and `now:` was gone
    current = [f"docs2/r1_doc{number:02}_with_a_rather_long_file_name_for_testing.txt -> es" for number in range(16)]
    snapshot = Snapshot(label="3ba23421", status="running", total=36, succeeded=3, fraction=0.2, current=current)
    lines = rendered(snapshot, 60)
    [now] = [line for line in lines if line.startswith("now: ")]
    assert len(now) <= 60
    assert "docs2/r1_doc00_" in now and now.endswith("testing.txt -> es (+15 more)") and "…" in now
    assert any("3/36 translated" in line for line in lines)


def test_a_name_that_fits_is_shown_whole() -> None:
    snapshot = Snapshot(label="3ba23421", status="running", total=2, current=["docs/a.txt -> es", "docs/b.txt -> es"])
    assert "now: docs/a.txt -> es (+1 more)" in rendered(snapshot, 60)


def test_names_of_wide_characters_are_cropped_by_the_cells_they_take() -> None:
    # Red team: `now: c11/日本語日本語…日` lost its `-> es (+3 more)`: width was counted in characters
    current = ["c11/" + "日本語" * 12 + "_final.docx -> es", "c11/b.txt -> es", "c11/c.txt -> es", "c11/d.txt -> es"]
    snapshot = Snapshot(label="3ba23421", status="running", total=4, current=current)
    [now] = [line for line in rendered(snapshot, 60) if line.startswith("now: ")]
    assert cell_len(now) <= 60 and now.endswith("final.docx -> es (+3 more)") and now.startswith("now: c11/日本")
