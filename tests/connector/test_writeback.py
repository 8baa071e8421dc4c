"""Whether an import writes a translation back into a source system (connector.writeback)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dragoman.connector.writeback import WriteDecision, conflict_message, decide_write

TRANSLATION = {"title": "Gato negro", "description": "Un gato."}


def test_an_unchanged_version_is_written() -> None:
    assert decide_write("r1", "r1", {"title": "Old"}, TRANSLATION) is WriteDecision.WRITE
    assert decide_write(None, None, None, TRANSLATION) is WriteDecision.WRITE  # no version then, none now


def test_a_version_changed_by_someone_else_is_a_conflict() -> None:
    assert decide_write("r1", "r2", {"title": "Edited by hand"}, TRANSLATION) is WriteDecision.CONFLICT
    assert decide_write(None, "r2", {"title": "Created by hand"}, TRANSLATION) is WriteDecision.CONFLICT
    assert decide_write("r1", None, None, TRANSLATION) is WriteDecision.CONFLICT  # deleted meanwhile


def test_a_version_holding_exactly_this_translation_is_not_written_again() -> None:
    # Our own write before a crash stopped the import from recording it: changed revision, same text
    assert decide_write("r1", "r2", dict(TRANSLATION), TRANSLATION) is WriteDecision.ALREADY_WRITTEN
    # A byte-identical re-import: nothing to write
    assert decide_write("r1", "r1", {**TRANSLATION, "other": "x"}, TRANSLATION) is WriteDecision.ALREADY_WRITTEN
    # One field differs: not ours
    assert decide_write("r1", "r2", {**TRANSLATION, "title": "Gato Negro"}, TRANSLATION) is WriteDecision.CONFLICT


@given(
    frozen=st.none() | st.text(max_size=5),
    current=st.none() | st.text(max_size=5),
    fields=st.none() | st.dictionaries(st.sampled_from(["title", "description"]), st.text(max_size=5)),
)
def test_a_write_never_overwrites_a_change_it_did_not_make(
    frozen: str | None, current: str | None, fields: dict[str, str] | None
) -> None:
    decision = decide_write(frozen, current, fields, TRANSLATION)
    if decision is WriteDecision.WRITE:
        assert current == frozen  # only a version exactly as it was frozen is written
    if fields is not None and all(fields.get(k) == v for k, v in TRANSLATION.items()):
        assert decision is WriteDecision.ALREADY_WRITTEN


def test_conflict_messages_name_the_language_and_both_revisions() -> None:
    message = conflict_message("es", "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z")
    assert message.startswith("conflict:") and "es version" in message
    assert "2026-01-01T00:00:00.000Z" in message and "2026-01-02T00:00:00.000Z" in message
    assert "created" in conflict_message("ca", None, "r9") and "deleted" in conflict_message("ca", "r1", None)
