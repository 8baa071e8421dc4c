"""The command line's job plan: which documents, which targets."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import pytest

from dragoman.domain.specs import shown_location
from dragoman.errors import Invalid, SourceMissing
from dragoman.planning import (
    OUTPUT_MARKER,
    check_output_folders,
    existing_targets,
    mark_output_folder,
    plan_local_job,
    without_tasks,
)
from dragoman.storage.local import LocalStorage, path_to_url


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


def test_existing_targets_are_found_and_can_be_left_out(tmp_path: Path) -> None:
    # Given two documents, one of whose translations exists
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "b.txt").write_text("I like dogs.\n")
    (tmp_path / "out" / "es").mkdir(parents=True)
    (tmp_path / "out" / "es" / "a.txt").write_text("El gato es negro.\n")
    storage = LocalStorage([tmp_path])
    spec = plan_local_job(storage, [docs], tmp_path / "out", ["es"], "en")
    # When the existing targets are looked for and left out
    existing = existing_targets(storage, spec)
    rest = without_tasks(spec, existing)
    # Then only the other document is left to translate
    assert [task.target_url.rsplit("/", 1)[-1] for task in existing] == ["a.txt"]
    assert [task.target_url.rsplit("/", 1)[-1] for task in rest.tasks] == ["b.txt"]


@pytest.mark.parametrize("out", ["a.txt", "a.txt/out", "out"])
def test_output_folders_that_cannot_be_made_are_refused(tmp_path: Path, out: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "out").mkdir()
    (docs / "out" / "es").write_text("a file where the es folder would go\n")
    storage = LocalStorage([tmp_path])
    spec = plan_local_job(storage, [docs / "a.txt"], docs / out, ["es"], "en")
    with pytest.raises(Invalid, match="is a file"):
        check_output_folders(storage, docs / out, spec)


def test_a_document_whose_name_cannot_be_used_fails_and_is_not_left_out_unseen(tmp_path: Path) -> None:
    # Red team, issue 11: a 211-byte name (legal on ext4) and a name with a tab were silently left out,
    # and the run said "1/1 translated", exit 0. A long name is a document now (up to NAME_MAX).
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("I like dogs.\n")
    long_name = "議事録" * 23 + ".txt"  # 211 bytes
    (docs / long_name).write_text("The cat is black.\n")
    (docs / "tab\there.txt").write_text("The cat is black.\n")
    (docs / ".hidden.txt").write_text("The cat is black.\n")  # hidden files are no documents
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es"], "en")
    failed = [task for task in spec.tasks if task.error is not None]
    planned = sorted(unquote(task.source_url.rsplit("/", 1)[-1]) for task in spec.tasks if task.error is None)
    assert planned == sorted(["ok.txt", long_name])
    assert len(failed) == 1 and {task.error.code for task in failed if task.error} == {"InvalidDocumentName"}
    assert all("not a valid path" in (task.error.message if task.error else "") for task in failed)


def test_an_out_that_is_the_folder_translated_is_refused_saying_why(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    with pytest.raises(Invalid, match="inside --out"):
        plan_local_job(LocalStorage([tmp_path]), [docs], docs, ["es"], "en")


def test_a_link_to_nothing_in_a_folder_fails_by_its_own_name_and_the_rest_is_planned(tmp_path: Path) -> None:
    # Red team 2026-12-01: a broken link in a folder refused the whole command, naming a path that
    # was nowhere in the folder (the link's target)
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "sub" / "up").symlink_to("../gone")
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es"], "en")
    planned = [task for task in spec.tasks if task.error is None]
    failed = [task for task in spec.tasks if task.error is not None]
    assert [task.source_url.rsplit("/", 1)[-1] for task in planned] == ["a.txt"]
    assert len(failed) == 1 and failed[0].source_url.endswith("/docs/sub/up")
    assert failed[0].error is not None and failed[0].error.code == "SourceDocumentNotFound"
    assert f"{docs / 'gone'} does not exist" in failed[0].error.message


@pytest.mark.parametrize(
    ("folder", "why"),
    [
        # Red team, issue 11: as root every permission says yes, so a folder on a read-only or special
        # file system was accepted, and each document failed after its translation
        ("/sys/kernel", "not writable"),
        # Red team 2026-12-01: `--out /proc/x` was "not writable (No such file or directory)"
        ("/proc", r"not writable \(a special file system, which takes no new folders\)"),
    ],
)
def test_an_output_folder_on_a_file_system_that_refuses_folders_is_refused_up_front(
    tmp_path: Path, folder: str, why: str
) -> None:
    if not Path(folder).is_dir():
        pytest.skip(f"no {folder} here")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    storage = LocalStorage([tmp_path, Path(folder)])
    out = Path(folder) / "dragoman-out"
    spec = plan_local_job(storage, [docs / "a.txt"], out, ["es"], "en")
    with pytest.raises(Invalid, match=f"cannot be made for the translations: {folder} is {why}"):
        check_output_folders(storage, out, spec)
    assert not out.exists()


def test_an_output_folder_that_can_be_made_is_accepted_and_the_check_leaves_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    storage = LocalStorage([tmp_path])
    spec = plan_local_job(storage, [docs / "a.txt"], tmp_path / "out", ["es"], "en")
    check_output_folders(storage, tmp_path / "out", spec)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs"]


def test_links_in_a_folder_are_documents_named_as_the_links(tmp_path: Path) -> None:
    # Red team: a link to a file elsewhere in the roots was a traceback ("is not in the subpath"),
    # and a link to a sibling refused the whole folder ("would both be written to ... a.txt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "plain.txt").write_text("I like dogs.\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "link.txt").symlink_to(elsewhere / "plain.txt")
    (docs / "inner.txt").symlink_to("a.txt")
    storage = LocalStorage([tmp_path])
    spec = plan_local_job(storage, [docs], tmp_path / "out", ["es"], "en")
    planned = {task.target_url.rsplit("/", 1)[-1]: task.source_url for task in spec.tasks}
    assert planned == {
        "a.txt": path_to_url(docs / "a.txt"),
        "inner.txt": path_to_url(docs / "a.txt"),  # the same file, under the name the folder gives it
        "link.txt": path_to_url(elsewhere / "plain.txt"),
    }
    assert all(task.error is None for task in spec.tasks)


def test_a_link_given_by_name_is_written_under_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The cat is black.\n")
    (tmp_path / "shortcut.txt").symlink_to(tmp_path / "a.txt")
    spec = plan_local_job(LocalStorage([tmp_path]), [tmp_path / "shortcut.txt"], tmp_path / "out", ["es"], "en")
    [task] = spec.tasks
    assert task.target_url.endswith("/out/es/shortcut.txt") and task.source_url == path_to_url(tmp_path / "a.txt")


def test_an_earlier_jobs_out_inside_a_folder_is_no_source_for_a_later_job_with_another_out(tmp_path: Path) -> None:
    # Red team: `translate c3 --out c3/out`, then `translate c3 --out c3/out2` took c3/out/es/* for sources
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("The cat is black.\n")
    (docs / "sub" / "b.txt").write_text("I like dogs.\n")
    (docs / "out" / "es").mkdir(parents=True)
    (docs / "out" / "es" / "a.txt").write_text("El gato es negro.\n")
    mark_output_folder(docs / "out")
    assert (docs / "out" / OUTPUT_MARKER).is_file()
    storage = LocalStorage([tmp_path])
    spec = plan_local_job(storage, [docs], docs / "out2", ["ca"], "en")
    assert sorted(task.source_url.rsplit("/docs/", 1)[-1] for task in spec.tasks) == ["a.txt", "sub/b.txt"]
    # named itself, the folder of translations is translated
    spec = plan_local_job(storage, [docs / "out" / "es"], tmp_path / "elsewhere", ["ca"], "es")
    assert [task.source_url.rsplit("/docs/", 1)[-1] for task in spec.tasks] == ["out/es/a.txt"]


def test_a_named_pipe_in_a_folder_fails_by_its_own_name_and_is_never_read(tmp_path: Path) -> None:
    # Red team: a FIFO refused the whole job ("is not a document that exists"); reading one would wait for ever
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    os.mkfifo(docs / "pipe.txt")
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es"], "en")
    [good] = [task for task in spec.tasks if task.error is None]
    [refused] = [task for task in spec.tasks if task.error is not None]
    assert good.source_url.endswith("/a.txt")
    assert refused.source_url.endswith("pipe.txt") and refused.error is not None
    assert "not a regular file" in refused.error.message


def test_a_link_out_of_the_roots_fails_by_its_own_name_and_is_not_left_out_unseen(tmp_path: Path) -> None:
    # Red team: `ln -s /etc/hostname docs/esc.txt` was left out, and the job "succeeded"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("Good day.\n")
    (docs / "esc.txt").symlink_to("/etc/hostname")
    spec = plan_local_job(LocalStorage([docs]), [docs], docs / "out", ["es"], "en")
    [refused] = [task for task in spec.tasks if task.error is not None]
    assert refused.source_url.endswith("esc.txt") and refused.error is not None
    assert refused.error.code == "InvalidDocumentAccessLevel" and "/etc" not in refused.error.message
    assert [task.source_url.rsplit("/", 1)[-1] for task in spec.tasks if task.error is None] == ["ok.txt"]


def test_a_named_pipe_given_by_name_is_refused_as_no_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(SourceMissing, match="not a regular file"):
        plan_local_job(LocalStorage([tmp_path]), [tmp_path / "pipe.txt"], tmp_path / "out", ["es"], "en")
    (tmp_path / "to-pipe.txt").symlink_to(tmp_path / "pipe.txt")  # red team 2: named the link's target
    with pytest.raises(SourceMissing, match="to-pipe.txt is not a regular file"):
        plan_local_job(LocalStorage([tmp_path]), [tmp_path / "to-pipe.txt"], tmp_path / "out", ["es"], "en")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "none.txt")
    with pytest.raises(SourceMissing, match="dangling.txt does not exist"):
        plan_local_job(LocalStorage([tmp_path]), [tmp_path / "dangling.txt"], tmp_path / "out", ["es"], "en")


def test_a_folder_job_is_named_as_asked_not_after_its_last_document(tmp_path: Path) -> None:
    # Found 2026-12-01: the loop over a folder's documents reused the name parameter, so a folder job
    # was named after its last document (`jobs list --json` said "name": "b.txt")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    (docs / "b.txt").write_text("The cat is black.\n")
    storage = LocalStorage([tmp_path])
    assert plan_local_job(storage, [docs], tmp_path / "out", ["es"], "en").name is None
    assert plan_local_job(storage, [docs], tmp_path / "out", ["es"], "en", name="weekly").name == "weekly"


def test_lock_files_and_thumbnails_beside_documents_are_left_out_and_other_formats_fail_by_name(tmp_path: Path) -> None:
    # Red team 2026-12-01: `~$report.docx` (Word's lock file while the document is open) and `Thumbs.db`
    # failed as documents; the README said such files are left out by name
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "doc.txt").write_text("The cat is black.\n")
    (docs / "~$report.docx").write_bytes(b"\0lock")
    (docs / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (docs / "desktop.ini").write_text("[.ShellClassInfo]\n")
    (docs / "scan.pdf").write_bytes(b"%PDF-1.4")
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es"], "en")
    assert sorted(unquote(task.source_url.rsplit("/", 1)[-1]) for task in spec.tasks) == ["doc.txt", "scan.pdf"]


def test_a_name_that_cannot_be_used_keeps_its_own_location_and_is_shown_escaped(tmp_path: Path) -> None:
    # Red team 2026-12-01: `tab<TAB>name.txt` was recorded as `tab\tname.txt` (escaped), the very name
    # of another file beside it, so both reported one location; one succeeded, one failed
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tab\tname.txt").write_text("The cat is black.\n")
    (docs / "tab\\tname.txt").write_text("The cat is black.\n")  # a backslash and a t
    (docs / "\x1b[31mred.txt").write_text("The cat is black.\n")  # a terminal's escape in a name
    (docs / os.fsdecode(b"caf\xe9.txt")).write_text("The cat is black.\n")  # a byte that is no UTF-8
    (docs / "caf\\xe9.txt").write_text("The cat is black.\n")  # a backslash, an x, an e and a 9
    spec = plan_local_job(LocalStorage([tmp_path]), [docs], tmp_path / "out", ["es"], "en")
    sources = sorted(task.source_url.rsplit("/", 1)[-1] for task in spec.tasks)
    assert sources == ["%1B%5B31mred.txt", "caf%5Cxe9.txt", "caf%E9.txt", "tab%09name.txt", "tab%5Ctname.txt"]
    shown = {shown_location(task.source_url).rsplit("/", 1)[-1] for task in spec.tasks}
    # escaped as a message shows them, and never two alike (red team 2: a backslash was not escaped)
    assert shown == {"\\x1b[31mred.txt", "caf\\xe9.txt", "caf\\\\xe9.txt", "tab\\tname.txt", "tab\\\\tname.txt"}
    assert all(char.isprintable() for task in spec.tasks for char in shown_location(task.source_url))
