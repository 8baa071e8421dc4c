"""The command line's job plan: which documents, which targets."""

from __future__ import annotations

from pathlib import Path

from dragoman.planning import plan_local_job
from dragoman.storage.local import LocalStorage


def test_outputs_of_an_earlier_run_inside_the_folder_translated_are_not_inputs(tmp_path: Path) -> None:
    # Given a folder whose output folder lies inside it, holding an earlier run's output
    docs = tmp_path / "docs"
    (docs / "out" / "es").mkdir(parents=True)
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "out" / "es" / "a.txt").write_text("El gato es negro.\n")
    # When the folder is planned again into that output folder
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], docs / "out", ["es"], "en")
    # Then only the source document is an input
    assert [task.source_url.rsplit("/", 1)[-1] for task in spec.tasks] == ["a.txt"]
    assert spec.tasks[0].target_url.endswith("/docs/out/es/a.txt")


def test_regional_targets_are_kept_and_spellings_of_one_target_are_one(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es", "es-MX", "ES", "es_mx"], "en")
    assert [task.target_language for task in spec.tasks] == ["es", "es-MX"]
    assert [task.target_url.rsplit("/", 2)[-2] for task in spec.tasks] == ["es", "es-MX"]
