"""Hostile documents against a real service: a hostile document fails its own task and no other; a
cancel stops converters at once; no converter or engine process outlives its server, even one
killed outright; no work folder is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import wait_terminal
from tests.hostile import docx_bomb, odt, one_long_word_html, pptx, slow_html
from tests.processes import DRAGOMAN, children, environment, free_port, serving, start_server

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def wait_until(predicate, timeout: float = 60.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s")
        time.sleep(0.005)


def converters_of(pid: int) -> list[int]:
    return [child for child, name in children(pid).items() if name.startswith("tf-")]


def work_folders(temp: Path) -> list[Path]:
    return sorted(temp.glob("dragoman-doc-*"))


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path, dict[str, str], Dragoman]:
    """Documents, a temporary folder of the server's own, its environment, and a client (no runner)."""
    docs, temp = tmp_path / "docs", tmp_path / "tmp"
    docs.mkdir()
    temp.mkdir()
    env = environment(tmp_path / "data", [docs], workers=2, TMPDIR=str(temp))
    client = Dragoman.from_settings(Settings(data_dir=tmp_path / "data", roots=[docs], workers=2))
    return docs, temp, env, client


def submit(client: Dragoman, docs: Path, folder: str, files: dict[str, bytes]) -> str:
    (docs / folder).mkdir()
    for name, data in files.items():
        (docs / folder / name).write_bytes(data)
    spec = plan_local_job(client.local, [docs / folder], docs / f"{folder}-out", ["es"], "en")
    return client.submit(spec).job.id


def test_hostile_documents_fail_their_own_tasks_and_the_rest_of_the_job_succeeds(service: Dragoman, docs: Path) -> None:
    hostile = {
        "bomb.docx": (docx_bomb(), "DocumentTooLarge"),
        "word.html": (one_long_word_html(), "DocumentTooComplex"),
        "spaces.odt": (odt("a" + " " * 400_000 + "b"), "DocumentTooComplex"),
        "spaces.pptx": (pptx(" " * 400_000), "DocumentTooComplex"),
    }
    (docs / "in").mkdir()
    for name, (data, _) in hostile.items():
        (docs / "in" / name).write_bytes(data)
    (docs / "in" / "fine.txt").write_text("The cat is black.\n")
    (docs / "in" / "fine.odt").write_bytes(odt("The house is very big."))
    job_id = service.submit(plan_local_job(service.local, [docs / "in"], docs / "out", ["es"], "en")).job.id
    view = wait_terminal(service, job_id, timeout=60)
    assert view.status.value == "partially_failed"
    outcomes = {Path(task.source_url).name: task for task in service.tasks(job_id)}
    for name, (_, code) in hostile.items():
        assert outcomes[name].status is TaskStatus.FAILED
        assert outcomes[name].error is not None and outcomes[name].error.code == code, outcomes[name].error
    assert outcomes["fine.txt"].status is outcomes["fine.odt"].status is TaskStatus.SUCCEEDED
    assert (docs / "out" / "es" / "fine.txt").read_text() == "El gato es negro.\n"


def test_a_cancel_of_a_job_of_hostile_documents_stops_its_converters_at_once(
    world: tuple[Path, Path, dict[str, str], Dragoman], tmp_path: Path
) -> None:
    docs, temp, env, client = world
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log")
    try:
        # documents that pass every check yet keep tf-extract busy for seconds each, two at a time
        job_id = submit(client, docs, "hostile", {f"slow{n}.html": slow_html() for n in range(4)})
        wait_until(lambda: len(converters_of(server.pid)) == 2, what="two converters running")
        for converter in converters_of(server.pid):  # out of reach of the terminal's Ctrl-C
            assert os.getsid(converter) != os.getsid(server.pid)
            assert os.getpgid(converter) != os.getpgid(server.pid)

        client.cancel(job_id)  # from another process: the server learns of it by its 50 ms poll
        wait_until(lambda: client.get(job_id).is_terminal, timeout=5, what="the cancelled job's end")  # liveness
        view = client.get(job_id)
        assert view.status.value == "cancelled"
        assert view.summary.cancelled == 4
        assert converters_of(server.pid) == []
        assert work_folders(temp) == []

        small = submit(client, docs, "small", {"note.txt": b"I like dogs.\n"})
        assert wait_terminal(client, small, timeout=60).status.value == "succeeded"
        assert (docs / "small-out" / "es" / "note.txt").read_text() == "Me gustan los perros.\n"
    finally:
        server.terminate()
        server.wait(30)
    client.close()


def test_a_server_killed_outright_leaves_no_converter_or_engine_process_and_its_folders_are_swept(
    world: tuple[Path, Path, dict[str, str], Dragoman], tmp_path: Path
) -> None:
    docs, temp, env, client = world
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log")
    warm = submit(client, docs, "warm", {"note.txt": b"I like dogs.\n"})  # starts the en->es pipeline
    assert wait_terminal(client, warm, timeout=60).status.value == "succeeded"
    job_id = submit(client, docs, "hostile", {f"slow{n}.html": slow_html() for n in range(2)})
    wait_until(lambda: len(converters_of(server.pid)) == 2, what="two converters running")
    descendants = children(server.pid)
    assert any(name.startswith("tf-") for name in descendants.values())
    assert any(name.startswith(("lt-", "apertium", "cg-")) for name in descendants.values()), descendants
    assert len(work_folders(temp)) == 2

    server.send_signal(signal.SIGKILL)
    server.wait()
    wait_until(lambda: not any(alive(pid) for pid in descendants), timeout=10, what="every child's end")

    client.cancel(job_id)  # so that the restarted server does not run it again
    # a port of its own: the killed server's may be taken meanwhile by another test's server
    with serving(env, tmp_path / "server.log"):
        again = submit(client, docs, "again", {"page.html": b"<p>The house is very big.</p>"})
        assert wait_terminal(client, again, timeout=60).status.value == "succeeded"
        assert work_folders(temp) == [], "the killed server's work folders were not swept"
    client.close()


def test_ctrl_c_at_a_terminal_cancels_the_job_and_never_kills_a_converter_behind_its_back(tmp_path: Path) -> None:
    # A terminal's Ctrl-C sends SIGINT to its whole foreground process group. Converters used to be in
    # it: they died of the SIGINT and their documents failed ("exit code -2") instead of being cancelled.
    docs, temp = tmp_path / "docs", tmp_path / "tmp"
    (docs / "in").mkdir(parents=True)
    temp.mkdir()
    for number in range(4):
        (docs / "in" / f"slow{number}.html").write_bytes(slow_html())
    # run in the command's own process (no warm start), whose children the test looks at
    env = environment(tmp_path / "data", [docs], workers=2, TMPDIR=str(temp), COLUMNS="200", DRAGOMAN_WARM_START="off")
    with subprocess.Popen(
        [DRAGOMAN, "translate", str(docs / "in"), "--to", "es", "--out", str(docs / "out")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell's foreground job
    ) as cli:
        wait_until(lambda: len(converters_of(cli.pid)) == 2, what="two converters running")
        assert all(os.getpgid(converter) != cli.pid for converter in converters_of(cli.pid))
        os.killpg(cli.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        stdout, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 130, stdout + stderr  # cancelled by its own Ctrl-C; 1 if any document had failed
    assert "cancelled" in stdout and "took effect" in stdout
    assert work_folders(temp) == []
