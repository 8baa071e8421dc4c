"""The real Apertium engine: pairs, translation, abort, recycling of dead and hung pipelines."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from dragoman.abort import Aborted
from dragoman.engines.apertium import ApertiumEngine
from dragoman.engines.base import LanguagePair
from dragoman.engines.languages import normalize
from dragoman.errors import UnsupportedLanguage


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def test_installed_pairs_use_short_codes(engine: ApertiumEngine) -> None:
    pairs = set(engine.languages())
    assert {LanguagePair("en", "es"), LanguagePair("es", "en"), LanguagePair("en", "ca")} <= pairs


def test_translates_english_into_spanish_and_catalan(engine: ApertiumEngine) -> None:
    assert engine.translate(["The cat is black."], "en", "es") == ["El gato es negro."]
    assert "gat" in engine.translate(["The cat is black."], "en", "ca")[0]


def test_segments_keep_their_order_and_blanks(engine: ApertiumEngine) -> None:
    out = engine.translate(["Good morning.", "I [<b>]like[</b>] dogs.", "Thank you"], "en", "es")
    assert out[0] == "Buenos días."
    assert "[<b>]" in out[1] and "[</b>]" in out[1] and "perros" in out[1]
    assert out[2] == "Gracias"


def test_unsupported_pair_is_a_validation_error(engine: ApertiumEngine) -> None:
    with pytest.raises(UnsupportedLanguage):
        engine.translate(["Hello"], "en", "xx")
    assert not engine.supports("en", "de")


def test_user_language_tags_are_normalised() -> None:
    assert normalize("EN") == "en"
    assert normalize("en-US") == "en"
    assert normalize("spa") == "es"
    assert normalize("not a tag!") is None


def test_abort_while_a_long_segment_is_translated_stops_at_once(engine: ApertiumEngine) -> None:
    # Given a long single segment / When the caller aborts mid-way / Then Aborted is raised promptly
    long_text = "The government announced new measures to improve public health in the city " * 4000
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    started = time.monotonic()
    with pytest.raises(Aborted):
        engine.translate([long_text], "en", "es", should_abort=flag.is_set)
    assert time.monotonic() - started < 10
    # and the engine still works: the killed pipeline was recycled
    assert engine.translate(["The cat is black."], "en", "es") == ["El gato es negro."]


def test_a_pipeline_that_dies_is_replaced(engine: ApertiumEngine) -> None:
    engine.warm("en", "es")
    for pipeline in list(engine._shared[engine.mode_path("en", "es")]):  # white-box: kill the pipelines
        os.killpg(pipeline.pid, signal.SIGKILL)
    assert engine.translate(["I like dogs."], "en", "es") == ["Me gustan los perros."]


def test_concurrent_translations_do_not_mix(engine: ApertiumEngine) -> None:
    results: dict[int, list[str]] = {}

    def work(number: int) -> None:
        results[number] = engine.translate(["The cat is black.", "I like dogs."] * 5, "en", "es")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(value == ["El gato es negro.", "Me gustan los perros."] * 5 for value in results.values())


def test_a_shared_pipeline_killed_under_two_callers_is_retried_for_both(engine: ApertiumEngine) -> None:
    # Given two callers sharing the pair's pipeline / When it is killed mid-way / Then both still get
    # their full translation (each retried once on a pipeline of its own)
    engine.warm("en", "es")
    results: dict[int, list[str]] = {}

    def work(number: int) -> None:
        results[number] = engine.translate(["The cat is black."] * 300, "en", "es")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    for pipeline in list(engine._shared[engine.mode_path("en", "es")]):  # white-box: kill mid-flight
        os.killpg(pipeline.pid, signal.SIGKILL)
    for thread in threads:
        thread.join()
    assert results == {0: ["El gato es negro."] * 300, 1: ["El gato es negro."] * 300}
