"""Queue names: a pair's languages without regions, `auto` for a source to be detected; and which
names no message can ever be on."""

from __future__ import annotations

from dragoman.engines.base import LanguagePair
from dragoman.workers.doorbell import queue_of, unserved_queues

PAIRS = [LanguagePair("en", "es"), LanguagePair("en", "ca"), LanguagePair("es", "ca")]


def test_a_queue_is_the_pair_s_languages_without_regions() -> None:
    assert queue_of("en", "es-MX") == "dragoman.en-es"
    assert queue_of("EN-GB", "ca") == "dragoman.en-ca"
    assert queue_of("auto", "es") == "dragoman.auto-es"


def test_queues_no_pair_serves_are_named() -> None:
    assert unserved_queues(["en-es", "auto-ca", "es-ca"], PAIRS) == []
    assert unserved_queues(["en-xx", "auto-fr", "eng-spa", "en_es"], PAIRS) == ["en-xx", "auto-fr", "eng-spa", "en_es"]
