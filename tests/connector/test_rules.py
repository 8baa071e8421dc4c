"""Which entities an automatic sending rule selects (src/dragoman/connector/rules.py), as properties
over any catalogue: entities with fields, the targets they are in translation into, and the hashes
last imported per target; and how rules are checked when the settings load."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dragoman.config import load_settings
from dragoman.connector.rules import Candidate, FieldEquals, Selection, check, due, select
from dragoman.connector.snapshots import field_hash
from dragoman.errors import ConfigError

TARGETS = ["es", "ca", "fr"]
NAMES = st.sampled_from(["name", "description", "status"])
TEXTS = st.sampled_from(["", " ", "chair", "table", "ready", "draft"])


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    found = []
    for number in range(draw(st.integers(0, 6))):
        fields = draw(st.dictionaries(NAMES, TEXTS, max_size=3))
        imported: dict[str, dict[str, str]] = {}
        for target in draw(st.lists(st.sampled_from(TARGETS), unique=True)):
            # what was imported: some fields as they are now, some as they were, some never
            hashes = {}
            for name, text in fields.items():
                kind = draw(st.sampled_from(["same", "old", "none"]))
                if kind != "none":
                    hashes[name] = field_hash(name, text if kind == "same" else text + " (before)")
            if draw(st.booleans()):
                hashes["gone"] = field_hash("gone", "a field removed since")
            imported[target] = hashes
        found.append(
            Candidate(
                id=f"e{number}",
                source_language=draw(st.sampled_from(["en", "en", "de"])),
                fields=fields,
                in_translation=frozenset(draw(st.lists(st.sampled_from(TARGETS), unique=True))),
                imported=imported,
            )
        )
    return found


SELECTIONS = st.sampled_from(["all", "changed", FieldEquals(field="status", equals="ready")])


def pending(candidate: Candidate, target: str) -> set[str]:
    """The fields with text whose hash is not the one last imported into `target`."""
    imported = candidate.imported.get(target, {})
    return {
        name for name, text in candidate.fields.items() if text.strip() and imported.get(name) != field_hash(name, text)
    }


@settings(max_examples=300)
@given(candidates(), SELECTIONS)
def test_never_an_entity_into_a_target_it_is_in_translation_into_or_up_to_date_in(
    catalogue: list[Candidate], selection: Selection
) -> None:
    chosen = select(selection, "en", TARGETS, catalogue)
    by_id = {candidate.id: candidate for candidate in catalogue}
    for entity, targets in chosen.items():
        candidate = by_id[entity]
        assert targets and candidate.source_language == "en"
        assert list(targets) == [target for target in TARGETS if target in targets]  # the rule's order
        for target in targets:
            assert target not in candidate.in_translation
            assert pending(candidate, target)  # something to send into it


@settings(max_examples=300)
@given(candidates())
def test_all_selects_every_entity_with_something_to_send_into_a_target_it_is_not_in_translation_into(
    catalogue: list[Candidate],
) -> None:
    expected = {
        candidate.id: tuple(t for t in TARGETS if t not in candidate.in_translation and pending(candidate, t))
        for candidate in catalogue
        if candidate.source_language == "en"
    }
    assert select("all", "en", TARGETS, catalogue) == {entity: into for entity, into in expected.items() if into}


@settings(max_examples=300)
@given(candidates())
def test_changed_selects_exactly_the_entities_with_a_field_changed_since_their_last_import_into_a_target(
    catalogue: list[Candidate],
) -> None:
    chosen = select("changed", "en", TARGETS, catalogue)
    for candidate in catalogue:
        changed_into = tuple(
            target
            for target in TARGETS
            if candidate.imported.get(target)  # translated into it before
            and target not in candidate.in_translation
            and any(
                text.strip() and candidate.imported[target].get(name) != field_hash(name, text)
                for name, text in candidate.fields.items()
            )
        )
        if candidate.source_language == "en" and changed_into:
            assert chosen[candidate.id] == changed_into
        else:
            assert candidate.id not in chosen
    assert set(chosen) <= set(select("all", "en", TARGETS, catalogue))  # never more than all


@settings(max_examples=300)
@given(candidates())
def test_a_field_value_selects_the_entities_all_would_whose_field_has_it(catalogue: list[Candidate]) -> None:
    everything = select("all", "en", TARGETS, catalogue)
    by_id = {candidate.id: candidate for candidate in catalogue}
    chosen = select(FieldEquals(field="status", equals="ready"), "en", TARGETS, catalogue)
    assert chosen == {
        entity: into for entity, into in everything.items() if by_id[entity].fields.get("status") == "ready"
    }


def test_an_entity_new_changed_and_up_to_date() -> None:
    new = Candidate("new", "en", {"name": "chair"})
    done = Candidate("done", "en", {"name": "chair"}, imported={"es": {"name": field_hash("name", "chair")}})
    edited = Candidate(
        "edited", "en", {"name": "chair", "description": "red"},
        in_translation=frozenset({"ca"}), imported={"es": {"name": field_hash("name", "chair")}, "ca": {}},
    )  # fmt: skip
    assert select("all", "en", ["es", "ca"], [new, done, edited]) == {
        "new": ("es", "ca"), "done": ("ca",), "edited": ("es",),
    }  # fmt: skip
    assert select("changed", "en", ["es", "ca"], [new, done, edited]) == {"edited": ("es",)}


def test_a_rule_is_due_every_seconds_after_its_latest_run() -> None:
    start = datetime(2026, 1, 1)
    assert due(None, 60, start)
    assert not due(start, 60, start + timedelta(seconds=59.9))
    assert due(start, 60, start + timedelta(seconds=60))


def rule(**options: Any) -> dict[str, Any]:
    return {"select": "all", "source_language": "en", "target_languages": ["es"], "every_seconds": 60, **options}


def test_a_rule_s_languages_are_normalised_and_its_job_names_prefixed() -> None:
    checked = check("nightly", rule(source_language="EN", target_languages=["es_mx", "ca", "ca"]))
    assert checked.source_language == "en" and checked.target_languages == ["es-MX", "ca"]
    assert checked.job_prefix("nightly") == "rule nightly" and checked.tenant == "default"
    assert check("n", rule(job_name="Spring")).job_prefix("n") == "Spring"


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"n": rule(select="some")}, "DRAGOMAN_CONNECTOR_RULES: rule 'n': select: must be \"all\""),
        ({"n": rule(select={"field": "status"})}, "NAME and VALUE text"),
        ({"n": rule(target_languages=["en-GB"])}, "the source language en is a target"),
        ({"n": rule(target_languages=[])}, "target_languages"),
        ({"n": rule(source_language="??")}, "'??' is not a language code"),
        ({"n": rule(every_seconds=0)}, "every_seconds: Input should be greater than 0"),
        ({"n": rule(colour="red")}, "colour: Extra inputs are not permitted"),
        ({"N!": rule()}, "rule name 'N!' is not"),
        ({"n": rule(source="cms")}, "DRAGOMAN_CONNECTOR_RULES at n.source: no source system 'cms' is configured"),
        ({"n": rule(vendor="agency")}, "DRAGOMAN_CONNECTOR_RULES at n.vendor: no vendor 'agency' is configured"),
    ],
)
def test_a_bad_rule_stops_the_settings_naming_the_setting(
    rules: dict[str, Any], words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAGOMAN_CONNECTOR_RULES", json.dumps(rules))
    with pytest.raises(ConfigError) as stopped:
        load_settings()
    assert words in stopped.value.message


def test_a_rule_s_source_belongs_to_its_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    source = {"kind": "strapi", "url": "http://127.0.0.1:9", "token": "t", "collection": "products",
              "fields": ["title"], "tenant": "acme"}  # fmt: skip
    monkeypatch.setenv("DRAGOMAN_CONNECTOR_SOURCES", json.dumps({"cms": source}))
    monkeypatch.setenv("DRAGOMAN_CONNECTOR_RULES", json.dumps({"n": rule(source="cms")}))
    with pytest.raises(ConfigError, match="belongs to tenant 'acme', not to the rule's tenant 'default'"):
        load_settings()
    monkeypatch.setenv("DRAGOMAN_CONNECTOR_RULES", json.dumps({"n": rule(source="cms", tenant="acme")}))
    assert load_settings().connector_rules["n"]["tenant"] == "acme"
