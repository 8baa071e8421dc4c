"""Bad input through the application service: a clear error, nothing created, the service goes on."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.errors import (
    AccessDenied,
    CancelRefused,
    Invalid,
    NotFound,
    SourceMissing,
    TargetExists,
    UnsupportedLanguage,
)
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from dragoman.storage.local import path_to_url
from dragoman.storage.routed import RoutedStorage
from dragoman.storage.scopes import StorageScopes
from tests.conftest import wait_terminal


def submit_local(service: Dragoman, paths: list[Path], out: Path, targets: list[str], source: str = "en") -> str:
    return service.submit(plan_local_job(service.local, paths, out, targets, source)).job.id


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda d: ([d / "missing.txt"], d / "out", ["es"], "en"), SourceMissing),
        (lambda d: ([Path("/etc/hostname")], d / "out", ["es"], "en"), AccessDenied),
        (lambda d: ([d / "a.txt"], Path("/var/tmp/dragoman-out"), ["es"], "en"), AccessDenied),
        (lambda d: ([d / ".." / "x.txt"], d / "out", ["es"], "en"), AccessDenied),
        (lambda d: ([d / "a.txt"], d / "out", ["de"], "en"), UnsupportedLanguage),
        (lambda d: ([d / "a.txt"], d / "out", ["es"], "de"), UnsupportedLanguage),
        (lambda d: ([d / "a.txt"], d / "out", ["!!"], "en"), Invalid),
        (lambda d: ([d / "a.txt"], d / "out", [], "en"), Invalid),
        (lambda d: ([d / "emptydir"], d / "out", ["es"], "en"), Invalid),
    ],
)
def test_bad_requests_are_refused_and_create_nothing(service: Dragoman, docs: Path, make, error) -> None:  # type: ignore[no-untyped-def]
    (docs / "a.txt").write_text("I like dogs.")
    (docs / "emptydir").mkdir()
    with pytest.raises(error):
        submit_local(service, *make(docs))
    assert service.list_jobs() == []
    # and the service still works
    job_id = submit_local(service, [docs / "a.txt"], docs / "out", ["es"])
    assert wait_terminal(service, job_id).status.value == "succeeded"


def test_existing_targets_are_never_overwritten(service: Dragoman, docs: Path) -> None:
    (docs / "a.txt").write_text("I like dogs.")
    (docs / "out" / "es").mkdir(parents=True)
    (docs / "out" / "es" / "a.txt").write_text("precious")
    with pytest.raises(TargetExists):
        submit_local(service, [docs / "a.txt"], docs / "out", ["es"])
    assert (docs / "out" / "es" / "a.txt").read_text() == "precious"


def test_two_tasks_writing_one_target_are_refused(service: Dragoman, docs: Path) -> None:
    (docs / "a.txt").write_text("I like dogs.")
    url = path_to_url(docs / "a.txt")
    spec = JobSpec("default", [TaskSpec(url, path_to_url(docs / "o.txt"), "en", "es")] * 2)
    with pytest.raises(Invalid, match="both be written"):
        service.submit(spec)


def test_a_symlink_out_of_the_root_is_refused(service: Dragoman, docs: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("The password is cat.")
    os.symlink(tmp_path / "secret.txt", docs / "innocent.txt")
    with pytest.raises(AccessDenied):
        submit_local(service, [docs / "innocent.txt"], docs / "out", ["es"])


def test_unknown_job_and_cancel_of_a_finished_job(service: Dragoman, docs: Path) -> None:
    with pytest.raises(NotFound):
        service.get("no-such-job")
    with pytest.raises(NotFound):
        service.cancel("no-such-job")
    (docs / "a.txt").write_text("I like dogs.")
    job_id = submit_local(service, [docs / "a.txt"], docs / "out", ["es"])
    view = wait_terminal(service, job_id)
    with pytest.raises(CancelRefused):
        service.cancel(job_id)
    assert service.get(job_id) == view
    with pytest.raises(NotFound):
        service.get(job_id, tenant="someone-else")


def test_a_target_finishing_between_the_checks_is_still_refused(settings: Settings, docs: Path) -> None:
    # Reproduction (2026 full-suite run): job B looked at the storage (no file yet), then job A's task
    # published and ended (no longer live), then B was created: B's task failed at publish. The store
    # is now asked first: a task publishes before it ends, so a target is seen live or written.
    (docs / "a.txt").write_text("I like dogs.")
    app = Dragoman.from_settings(settings)  # no runner: the test moves job A itself
    first = submit_local(app, [docs / "a.txt"], docs / "out", ["es"])
    claim = app.store.claim_next("runner-a", timedelta(seconds=60))
    assert claim is not None and claim.task.job_id == first
    real = app.storage.for_tenant("default")

    class FinishingJustAfterTheLook(RoutedStorage):
        def check_target(self, url: str) -> None:
            real.check_target(url)  # nothing there yet ...
            real.publish(url, b"Me gustan los perros.")  # ... then job A publishes and ends
            assert claim is not None
            app.store.finish(claim.task.id, "runner-a", TaskStatus.SUCCEEDED, attempt=claim.attempt)

    app.storage = StorageScopes.shared(FinishingJustAfterTheLook(real.stores))
    with pytest.raises(TargetExists):
        submit_local(app, [docs / "a.txt"], docs / "out", ["es"])
    assert len(app.list_jobs()) == 1
    app.close()


def test_a_runner_whose_view_of_the_pairs_is_older_than_a_job_runs_it_after_looking_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Red team 2026-12-01: a pair installed while `dragoman serve` ran, then a `dragoman translate`
    # into it at once: serve's runner claimed 258 of its 300 tasks and failed them "no installed engine
    # translates into 'ca'" (it would have looked again only at its next check, seconds later)
    monkeypatch.setattr("dragoman.engines.apertium._UPGRADE_CHECK_SECONDS", 600.0)
    modes, docs = tmp_path / "modes", tmp_path / "docs"
    modes.mkdir()
    docs.mkdir()
    (modes / "eng-spa.mode").write_text("sed -u -z s/cat/gato/g\n")
    for number in range(6):
        (docs / f"d{number}.txt").write_text("The cat is black.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], apertium_modes_dir=modes, workers=2)
    with Dragoman.from_settings(settings, with_runner=True) as serving:
        assert [(pair.source, pair.target) for pair in serving.languages()] == [("en", "es")]
        (modes / "eng-cat.mode").write_text("sed -u -z s/cat/gat/g\n")  # the package installed now
        with Dragoman.from_settings(settings) as command:  # another process on the same store, no runner
            job = command.submit(plan_local_job(command.local, [docs], docs / "out", ["ca"], "en"))
        view = wait_terminal(serving, job.job.id)
        assert view.status.value == "succeeded", [task.error for task in serving.tasks(job.job.id)]
        assert (docs / "out" / "ca" / "d0.txt").read_text() == "The gat is black.\n"
