"""The real Apertium engine: pairs, translation, abort, recycling of dead and hung pipelines."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragoman.abort import Aborted
from dragoman.config import Settings
from dragoman.engines.apertium import ApertiumEngine, PipelineRecipe, discard_ahead, pipelines_used, start_ahead
from dragoman.engines.base import LanguagePair
from dragoman.engines.languages import normalize
from dragoman.errors import UnsupportedLanguage
from dragoman.service import Dragoman
from tests.processes import per_thread


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
    # Given a long single segment (many seconds of work) / When the caller aborts mid-way / Then
    # Aborted is raised instead of the translation. The segment went in as many blocks, so the
    # pipeline drops the unsent ones and goes on serving: nothing needed killing.
    long_text = "The government announced new measures to improve public health in the city " * 4000
    engine.warm("en", "es")
    busy = {pipeline.pid for pipeline in engine._shared[engine.mode_path("en", "es")]}  # white-box
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    with pytest.raises(Aborted):
        engine.translate([long_text], "en", "es", should_abort=flag.is_set)
    assert engine.translate(["The cat is black."], "en", "es") == ["El gato es negro."]
    assert busy <= {pipeline.pid for pipeline in engine._shared[engine.mode_path("en", "es")]}


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


def test_segments_sharing_a_block_translate_as_they_would_alone(engine: ApertiumEngine) -> None:
    # An abbreviation before a heading, and a phrase cut in two: neither bleeds into its neighbour.
    segments = ["They will improve public health, etc.", "Main points", "The big", "house is red"]
    assert engine.translate(segments, "en", "es") == [engine.translate([s], "en", "es")[0] for s in segments]
    assert engine.translate(segments, "en", "es")[1:] == ["Puntos principales", "El grande", "La casa es roja"]


def test_a_block_whose_stops_are_lost_is_translated_again_one_segment_at_a_time(tmp_path: Path) -> None:
    # A pipeline that drops the stop added before each separator (sed stands in for a stage that
    # rewrites punctuation): the shared block cannot be trusted, each segment goes alone.
    (tmp_path / "eng-spa.mode").write_text("sed -u -z 's/[.]\\[dragoman:segment\\]/[dragoman:segment]/g'\n")
    with ApertiumEngine(tmp_path) as dropping:
        assert dropping.translate(["Heading", "Body text", "Last."], "en", "es") == ["Heading", "Body text", "Last."]


def test_a_segment_that_ends_in_no_punctuation_keeps_its_last_word(engine: ApertiumEngine) -> None:
    """A heading, a table cell, the last subtitle: the last word of a block was lost ("Me gusta el ")."""
    assert engine.translate(["I like the day"], "en", "es") == ["Me gusta el día"]  # a block of its own
    shared = engine.translate(["The cat is black.", "I like the day", "the end of the day"], "en", "es")
    assert shared[1:] == ["Me gusta el día", "El fin del día"]
    assert engine.translate(["I like the day  "], "en", "es") == ["Me gusta el día  "]  # its own blanks kept


def own_children() -> set[int]:
    """This process's child processes (pipeline stages among them)."""
    return {int(child) for text in per_thread(os.getpid(), "children") for child in text.split()}


def test_an_engine_takes_the_pipeline_started_ahead_for_its_recipe_instead_of_starting_one() -> None:
    with ApertiumEngine(pipelines_per_pair=1) as probe:
        recipe = probe.recipe("en", "es")
    before = own_children()
    start_ahead(recipe)
    ahead = own_children() - before
    assert len(ahead) == len(recipe.stages)
    try:
        with ApertiumEngine(pipelines_per_pair=1) as engine:
            assert engine.translate(["The cat is black."], "en", "es") == ["El gato es negro."]
            assert own_children() - before == ahead  # it translated on the pipeline started ahead
            assert recipe in pipelines_used()
        assert not ahead & own_children()  # and closed it with itself, as its own
    finally:
        discard_ahead()


@pytest.mark.parametrize("differs", ["memory bound", "program search path", "environment", "dictionary replaced"])
def test_a_pipeline_started_ahead_otherwise_is_not_taken(
    differs: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Stages started with another address-space bound, that would find their programs on another
    # PATH, that another environment would start differently (LD_LIBRARY_PATH), or whose dictionary
    # was replaced since (a package upgrade) are not what the engine would start now: it starts its own.
    modes = tmp_path / "modes"
    modes.mkdir()
    generator = "/usr/share/apertium/apertium-eng-spa/eng-spa.autogen.bin"
    copied = tmp_path / "eng-spa.autogen.bin"
    copied.write_bytes(Path(generator).read_bytes())
    mode = Path("/usr/share/apertium/modes/eng-spa.mode").read_text().replace(generator, str(copied))
    (modes / "eng-spa.mode").write_text(mode)
    with ApertiumEngine(modes, pipelines_per_pair=1) as probe:
        recipe = probe.recipe("en", "es")
    assert any(str(copied) in stage for stage in recipe.stages)
    before = own_children()
    start_ahead(PipelineRecipe(recipe.stages, 4 << 30) if differs == "memory bound" else recipe)
    ahead = own_children() - before
    if differs == "program search path":
        monkeypatch.setenv("PATH", os.environ["PATH"] + os.pathsep + "/nonexistent")
    elif differs == "environment":
        monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    elif differs == "dictionary replaced":
        (tmp_path / "new.bin").write_bytes(copied.read_bytes())
        (tmp_path / "new.bin").replace(copied)
    try:
        with ApertiumEngine(modes, pipelines_per_pair=1) as engine:
            assert engine.translate(["The cat is black."], "en", "es") == ["El gato es negro."]
            started = own_children() - before - ahead
            assert len(started) == len(recipe.stages)
        assert ahead <= own_children()  # still there, for no one
    finally:
        discard_ahead()
    assert not ahead & own_children()


@pytest.mark.parametrize("upgraded", ["a file a stage reads", "the mode"])
def test_after_an_upgrade_a_pair_translates_as_upgraded_without_a_restart(
    upgraded: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A long-lived engine (`dragoman serve`) whose pair is upgraded under it (a dictionary replaced,
    # or the mode rewritten to other stages): its kept-alive pipeline must not go on translating
    # with what it loaded before. A sed script stands in for a dictionary, so the change shows.
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 0.0)
    modes = tmp_path / "modes"
    modes.mkdir()
    script = tmp_path / "pair.sed"
    script.write_text("s/cat/gato/g\n")
    (modes / "eng-spa.mode").write_text(f"sed -u -z -f {script}\n")
    before = own_children()
    with ApertiumEngine(modes, pipelines_per_pair=1) as engine:
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]
        first = own_children() - before
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]
        assert own_children() - before == first  # nothing changed on disk: the same pipeline serves
        if upgraded == "a file a stage reads":
            (tmp_path / "new.sed").write_text("s/cat/GATO/g\n")
            (tmp_path / "new.sed").replace(script)  # as a package upgrade does: a new file in its place
        else:
            other = tmp_path / "other.sed"
            other.write_text("s/cat/GATO/g\n")
            (modes / "new.mode").write_text(f"sed -u -z -f {other}\n")
            (modes / "new.mode").replace(modes / "eng-spa.mode")
        assert engine.translate(["the cat"], "en", "es") == ["the GATO"]
        deadline = time.monotonic() + 5
        while first & own_children() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not first & own_children(), "the outdated pipeline was left running"
        assert len(own_children() - before) == 1  # one fresh pipeline serves now
    assert not own_children() - before


def test_a_request_on_a_pipeline_retired_by_an_upgrade_gets_its_whole_translation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a pipeline busy with a long request (a slow stage)
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 0.0)
    script = tmp_path / "pair.sed"
    script.write_text("s/cat/gato/g\n")
    slow = tmp_path / "slow.sh"
    slow.write_text(
        "#!/bin/bash\nwhile IFS= read -r -d '' x; do sleep 0.02; printf '%s\\0' \"$x\"; done"
        ' | sed -u -z -f "${@: -1}"\n'  # the last argument: the mode's stages get -z before it
    )
    slow.chmod(0o755)
    (tmp_path / "eng-spa.mode").write_text(f"{slow} {script}\n")  # the script is named: an upgrade of it shows
    with ApertiumEngine(tmp_path, pipelines_per_pair=1, max_block_chars=10) as engine:
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]
        long_request: list[list[str]] = []
        errors: list[BaseException] = []

        def translate_long() -> None:
            try:
                long_request.append(engine.translate([f"cat {i}." for i in range(60)], "en", "es"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        worker = threading.Thread(target=translate_long)
        worker.start()
        time.sleep(0.2)
        # When the pair is upgraded meanwhile and another request comes
        (tmp_path / "new.sed").write_text("s/cat/GATO/g\n")
        (tmp_path / "new.sed").replace(script)
        assert engine.translate(["the cat"], "en", "es") == ["the GATO"]
        worker.join(timeout=30)
        # Then the long request got all of its translation from the pipeline it started on
        assert not errors
        assert long_request == [[f"gato {i}." for i in range(60)]]


def test_a_pair_removed_under_a_running_engine_is_refused_as_unsupported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Red team: `apt remove` of a pair under `dragoman serve` made every request a 500 ("-z is not
    # installed"); it is a pair that is not installed: refused as such, its pipelines ended
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 0.0)
    (tmp_path / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")
    before = own_children()
    with ApertiumEngine(tmp_path, pipelines_per_pair=1) as engine:
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]
        (tmp_path / "eng-spa.mode").unlink()
        with pytest.raises(UnsupportedLanguage, match="no longer installed|no installed pair"):
            engine.translate(["the cat"], "en", "es")
        deadline = time.monotonic() + 5
        while own_children() - before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not own_children() - before
        (tmp_path / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")  # reinstalled
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]


def test_a_pair_installed_under_a_running_engine_is_offered_and_translates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Left over from the issue 11 red team: `apt install apertium-xxx-yyy` under `dragoman serve` was
    # not offered until a restart
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 0.0)
    (tmp_path / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")
    with ApertiumEngine(tmp_path, pipelines_per_pair=1) as engine:
        assert engine.languages() == [LanguagePair("en", "es")]
        assert not engine.supports("en", "ca") and "ca" not in engine.known_languages()
        with pytest.raises(UnsupportedLanguage):
            engine.translate(["the cat"], "en", "ca")
        (tmp_path / "eng-cat.mode").write_text("sed -u -z s/cat/gat/g\n")  # the package installed
        assert engine.languages() == [LanguagePair("en", "ca"), LanguagePair("en", "es")]
        assert engine.supports("en", "ca") and "ca" in engine.known_languages()
        assert engine.translate(["the cat"], "en", "ca") == ["the gat"]
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]


def test_a_pair_removed_under_a_running_engine_is_no_longer_offered_and_its_pipelines_end(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 0.0)
    (tmp_path / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")
    (tmp_path / "eng-cat.mode").write_text("sed -u -z s/cat/gat/g\n")
    before = own_children()
    with ApertiumEngine(tmp_path, pipelines_per_pair=1) as engine:
        assert engine.translate(["the cat"], "en", "ca") == ["the gat"]
        (tmp_path / "eng-cat.mode").unlink()
        assert engine.languages() == [LanguagePair("en", "es")]  # looked at without a request for the pair
        deadline = time.monotonic() + 5
        while own_children() - before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not own_children() - before, "the removed pair's pipeline was left running"
        assert engine.translate(["the cat"], "en", "es") == ["the gato"]


def test_a_pair_just_installed_is_found_at_once_when_asked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Red team 2026-12-01: between its periodic looks (every few seconds) an engine refused a pair
    # installed a moment before; asked for and not found, it looks again at once
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 600.0)
    (tmp_path / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")
    with ApertiumEngine(tmp_path, pipelines_per_pair=1) as engine:
        assert engine.languages() == [LanguagePair("en", "es")]
        assert not engine.supports("en", "ca")  # refused a moment before it is installed (red team 2)
        (tmp_path / "eng-cat.mode").write_text("sed -u -z s/cat/gat/g\n")
        assert engine.supports("en", "ca")
        assert engine.translate(["the cat"], "en", "ca") == ["the gat"]


def test_an_idle_service_ends_a_removed_pairs_pipelines_without_a_request(tmp_path: Path) -> None:
    # Red team 2026-12-01: with `dragoman serve` idle, a removed pair's 14 processes ran on until the
    # next request; the runner's periodic round looks again (`Engine.refresh`)
    (tmp_path / "modes").mkdir()
    (tmp_path / "modes" / "eng-cat.mode").write_text("sed -u -z s/cat/gat/g\n")
    settings = Settings(
        data_dir=tmp_path / "data", roots=[tmp_path], apertium_modes_dir=tmp_path / "modes", recovery_seconds=0.2
    )
    before = own_children()
    with Dragoman.from_settings(settings, with_runner=True) as service:
        assert service.engine.translate(["the cat"], "en", "ca") == ["the gat"]
        assert own_children() - before
        (tmp_path / "modes" / "eng-cat.mode").unlink()
        deadline = time.monotonic() + 15  # the engine's next look (every 5 s) at the runner's next round
        while own_children() - before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not own_children() - before, "the removed pair's pipeline outlived the idle service's next look"
        assert service.languages() == []
