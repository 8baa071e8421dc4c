"""Fields packed into one plain-text document and taken apart again (connector/packing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dragoman.connector.packing import pack, restore, unpack

FIELD = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)


@given(texts=st.lists(FIELD, max_size=20))
def test_what_is_packed_comes_apart_as_it_went_in(texts: list[str]) -> None:
    nonce = "48213377"
    if any(nonce in text for text in texts):
        return
    document = pack(texts, nonce)
    pieces = unpack(document, nonce, len(texts))
    assert [restore(text, piece) for text, piece in zip(texts, pieces, strict=True)] == texts


def test_each_field_is_a_paragraph_of_its_own_after_its_marker() -> None:
    document = pack(["The red house", "  I like dogs.\nAnd cats.  "], "123")
    assert document == "#123000000#\n\nThe red house\n\n#123000001#\n\nI like dogs.\nAnd cats.\n\n"


def test_a_translation_whose_markers_did_not_come_back_exactly_is_refused() -> None:
    document = pack(["a", "b", "c"], "77")
    with pytest.raises(ValueError, match="2 of 3"):
        unpack(document.replace("#77000001#", "#77 000001#"), "77", 3)
    with pytest.raises(ValueError, match="out of order"):
        unpack(pack(["a", "b"], "77").replace("#77000000#", "#77000009#"), "77", 2)
    with pytest.raises(ValueError, match="before the first"):
        unpack("Hola\n\n" + document, "77", 3)
    # a field that itself looks like another document's marker is just text
    assert unpack(pack(["#12000000#"], "77"), "77", 1) == ["#12000000#"]


def test_whitespace_around_a_field_is_kept_around_its_translation() -> None:
    assert restore("  The cat\n", "El gato") == "  El gato\n"
    assert restore("   ", "") == "   "
