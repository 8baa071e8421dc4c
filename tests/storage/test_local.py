"""Local folders: confinement to roots and atomic, never-overwriting publication."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest

from dragoman.errors import (
    AccessDenied,
    DocumentError,
    SourceMissing,
    TargetAccessDenied,
    TargetExists,
    UnsupportedFormat,
)
from dragoman.storage.local import LocalStorage, path_to_url


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    (folder / "in").mkdir(parents=True)
    (folder / "in" / "a.txt").write_text("hello")
    return folder


@pytest.fixture
def storage(root: Path) -> LocalStorage:
    return LocalStorage([root], max_document_bytes=1000)


def test_reads_file_urls_and_plain_paths_inside_the_root(storage: LocalStorage, root: Path) -> None:
    assert storage.read(path_to_url(root / "in" / "a.txt")) == b"hello"
    assert storage.read(str(root / "in" / "a.txt")) == b"hello"
    assert storage.list_documents(str(root)) == [path_to_url(root / "in" / "a.txt")]


@pytest.mark.parametrize(
    "location",
    [
        "/etc/passwd",
        "file:///etc/passwd",
        "{root}/../outside.txt",
        "file://{root}/in/../../outside.txt",
        "file://otherhost{root}/in/a.txt",
        "s3://bucket/key",
        "{root}/in/\0a.txt",
    ],
)
def test_locations_outside_the_roots_are_refused(storage: LocalStorage, root: Path, location: str) -> None:
    (root.parent / "outside.txt").write_text("secret")
    with pytest.raises(AccessDenied):
        storage.read(location.format(root=root))


def test_symlinks_escaping_a_root_are_refused(storage: LocalStorage, root: Path) -> None:
    (root.parent / "secret.txt").write_text("secret")
    os.symlink(root.parent / "secret.txt", root / "in" / "link.txt")
    os.symlink(root.parent, root / "in" / "updir")
    with pytest.raises(AccessDenied):
        storage.read(str(root / "in" / "link.txt"))
    with pytest.raises(AccessDenied):
        storage.publish(str(root / "in" / "updir" / "planted.txt"), b"x")
    assert not (root.parent / "planted.txt").exists()
    assert storage.list_documents(str(root / "in")) == [path_to_url(root / "in" / "a.txt")]


def test_missing_and_oversized_sources(storage: LocalStorage, root: Path) -> None:
    with pytest.raises(SourceMissing):
        storage.read(str(root / "in" / "nope.txt"))
    (root / "in" / "big.txt").write_bytes(b"x" * 1001)
    with pytest.raises(DocumentError, match="limit"):
        storage.read(str(root / "in" / "big.txt"))


def test_publish_is_atomic_and_never_overwrites(storage: LocalStorage, root: Path) -> None:
    target = root / "out" / "es" / "a.txt"
    storage.publish(str(target), b"hola")
    assert target.read_bytes() == b"hola"
    with pytest.raises(TargetExists):
        storage.publish(str(target), b"other")
    with pytest.raises(TargetExists):
        storage.check_target(str(target))
    assert target.read_bytes() == b"hola"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"], "a partial file was left behind"


def test_concurrent_publishers_of_one_target_leave_exactly_one_winner(storage: LocalStorage, root: Path) -> None:
    target = root / "out" / "race.txt"
    outcomes: list[str] = []

    def publish(number: int) -> None:
        try:
            storage.publish(str(target), f"writer {number}".encode() * 50)
            outcomes.append("won")
        except TargetExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    content = target.read_bytes()
    assert content in {f"writer {n}".encode() * 50 for n in range(8)}
    assert sorted(p.name for p in target.parent.iterdir()) == ["race.txt"]


def test_discard_partials_removes_interrupted_writes(storage: LocalStorage, root: Path) -> None:
    target = root / "out" / "a.txt"
    target.parent.mkdir()
    (target.parent / f".a.txt.{uuid.uuid4().hex}.dragoman.part").write_bytes(b"half")
    (target.parent / "keep.txt").write_bytes(b"x")
    storage.discard_partials(str(target))
    assert sorted(p.name for p in target.parent.iterdir()) == ["keep.txt"]


def test_discarding_a_targets_partials_leaves_those_of_a_target_whose_name_extends_it(
    storage: LocalStorage, root: Path
) -> None:
    """`a.txt` and `a.txt.md` are two targets: a task of the first that ends must not remove the part
    file the second one's runner is writing (with row locks, PostgreSQL, both run at once)."""
    folder = root / "out"
    folder.mkdir()
    other = folder / f".a.txt.md.{uuid.uuid4().hex}.dragoman.part"
    other.write_bytes(b"being written")
    storage.discard_partials(str(folder / "a.txt"))
    assert other.exists()


@pytest.mark.parametrize(
    "name",
    [
        "翻訳" * 36 + ".txt",  # 220 bytes: too long for `.NAME.UUID.dragoman.part`
        "a" * 251 + ".txt",  # the longest a file system allows
        "é" * 100 + "x" * 50 + ".txt",  # cut inside a two-byte character
    ],
    ids=["cjk-220-bytes", "255-bytes", "cut-inside-a-character"],
)
def test_a_name_up_to_what_file_systems_allow_is_published_and_its_partials_found(
    storage: LocalStorage, root: Path, name: str
) -> None:
    target = root / "out" / name
    storage.publish(path_to_url(target), b"hola")
    assert target.read_bytes() == b"hola"
    assert sorted(p.name for p in target.parent.iterdir()) == [name]  # no temporary name left
    # a publication interrupted by a crash leaves its part file: found again by the target's name
    sibling = root / "out" / ("b" + name[1:])
    storage.publish(path_to_url(sibling), b"adios")
    parts = _interrupted_publication(storage, root / "out" / ("c" + name[1:]))
    assert parts and all(len(os.fsencode(part.name)) <= 255 for part in parts)
    storage.discard_partials(path_to_url(root / "out" / ("c" + name[1:])))
    assert sorted(p.name for p in target.parent.iterdir()) == sorted([name, sibling.name])


def test_a_name_longer_than_file_systems_allow_is_refused_by_name(storage: LocalStorage, root: Path) -> None:
    with pytest.raises(AccessDenied, match="at most 255 bytes a name"):
        storage.resolve(path_to_url(root / ("a" * 252 + ".txt")))


def test_a_target_folder_that_cannot_be_written_is_refused_by_name_and_nothing_is_left(
    storage: LocalStorage, root: Path
) -> None:
    # Red team 2026-12-01: a folder that could not be written failed every document as an internal
    # error, with a traceback each on stderr
    (root / "out").write_text("a file where the output folder should be")
    with pytest.raises(TargetAccessDenied, match=f"{root / 'out'}/es cannot be written"):
        storage.publish(path_to_url(root / "out" / "es" / "a.txt"), b"hola")


@pytest.mark.parametrize("failing", ["fsync", "link", "directory fsync"])
def test_a_full_disk_while_publishing_leaves_neither_the_target_nor_a_part_file(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    real_fsync, real_link = os.fsync, os.link
    calls: list[int] = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if failing == "fsync" or (failing == "directory fsync" and len(calls) == 2):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    def link(source: str | Path, target: str | Path) -> None:
        if failing == "link":
            raise OSError(28, "No space left on device")
        real_link(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    target = root / "out" / "a.txt"
    with pytest.raises(TargetAccessDenied, match="No space left on device"):
        storage.publish(path_to_url(target), b"hola")
    assert sorted(path.name for path in (root / "out").iterdir()) == []  # nothing in place, no part file


def test_a_source_that_is_a_link_or_a_pipe_is_told_by_its_own_name(storage: LocalStorage, root: Path) -> None:
    # Red team 2026-12-01: a dangling link given as one document was "<its target> is not a document
    # that exists" (where the link leads, on a shared service), and a named pipe "does not exist"
    (root / "in" / "dangling.txt").symlink_to(root / "secret-target.txt")
    os.mkfifo(root / "in" / "pipe.txt")
    with pytest.raises(SourceMissing) as missing:
        storage.check_source(path_to_url(root / "in" / "dangling.txt"))
    assert "dangling.txt" in missing.value.message and "secret-target" not in missing.value.message
    with pytest.raises(UnsupportedFormat, match="pipe.txt is not a regular file"):
        storage.check_source(path_to_url(root / "in" / "pipe.txt"))


def test_a_file_swapped_for_a_pipe_is_refused_when_read_not_waited_on(storage: LocalStorage, root: Path) -> None:
    os.mkfifo(root / "in" / "swapped.txt")  # no writer will ever come: opening it to read would block
    with pytest.raises(UnsupportedFormat, match="not a regular file"):
        storage.read(path_to_url(root / "in" / "swapped.txt"))


def test_links_out_of_the_roots_fail_by_name_alike_whether_they_lead_to_a_folder_a_file_or_nothing(
    tmp_path: Path, root: Path
) -> None:
    # Red team 2026-12-01: a link to a folder out of the roots was left out unseen while one to a
    # missing place failed, which told a shared service's caller what exists outside its roots
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "file.txt").write_text("secret")
    folder = root / "in" / "links"
    folder.mkdir()
    (folder / "to-folder").symlink_to(outside / "folder")
    (folder / "to-file").symlink_to(outside / "file.txt")
    (folder / "to-nothing").symlink_to(outside / "missing")
    (folder / "ok.txt").write_text("The cat is black.\n")
    (folder / "inside").symlink_to(root / "in")  # a linked folder in the roots: not followed (loops), not refused
    storage = LocalStorage([root])
    found, unusable = storage.list_named_and_unusable(path_to_url(folder))
    assert [name for _, name in found] == ["ok.txt"]
    assert sorted(unusable) == [
        (name, "InvalidDocumentAccessLevel", "a link that leads outside the allowed storage roots")
        for name in ("to-file", "to-folder", "to-nothing")
    ]


def test_the_services_own_state_inside_a_root_is_never_read_or_listed(root: Path) -> None:
    # Red team 2026-12-01: with the data directory inside a tenant's root, the Azure door translated
    # and published the dashboard's session secret (and a DRAGOMAN_CONFIG file, keys included)
    data = root / "in" / "state"
    (data / "connector" / "acme").mkdir(parents=True)
    (data / "web-session-secret").write_text("s3cr3t")
    (data / "dragoman.db").write_bytes(b"SQLite format 3\0")
    (data / "connector" / "acme" / "job.xlf").write_text("<xliff/>")  # the connector's work: a document's place
    (root / "in" / "settings").write_text('azure_keys = ["k"]')
    storage = LocalStorage([root], state=[data, root / "in" / "settings"])
    for private in (data / "web-session-secret", data / "dragoman.db", root / "in" / "settings"):
        with pytest.raises(AccessDenied, match="the service's own state"):
            storage.read(path_to_url(private))
    with pytest.raises(AccessDenied, match="the service's own state"):  # nor is anything written among them
        storage.publish(path_to_url(data / "web-session-secret.es"), b"x")
    found, unusable = storage.list_named_and_unusable(path_to_url(root / "in"))
    assert [name for _, name in found] == ["a.txt", "state/connector/acme/job.xlf"] and unusable == []
    assert storage.read(path_to_url(data / "connector" / "acme" / "job.xlf")) == b"<xliff/>"


def _interrupted_publication(storage: LocalStorage, target: Path) -> list[Path]:
    """The part files left by a publication of `target` whose process died just before linking (a
    child process that ends at once in `os.link`, as a kill would end it: no clean-up runs)."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.link = lambda *args, **kwargs: os._exit(9)  # type: ignore[assignment]
        try:
            storage.publish(path_to_url(target), b"half")
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    return [p for p in target.parent.iterdir() if p.name.endswith(".dragoman.part")]
