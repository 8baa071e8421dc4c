"""The shared null-flush pipeline, driven through real processes: order, sharing, abort, death, reaping."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dragoman.abort import Aborted, AbortReason
from dragoman.domain.jobs import Task
from dragoman.domain.states import TaskStatus
from dragoman.engines import _pipeline
from dragoman.engines._pipeline import Pipeline
from dragoman.errors import EngineCrashed, EngineTimeout
from dragoman.runner.context import TaskContext

# `sed -u -z` echoes each \0-ended block at once: a real process standing in for a null-flush stage.
UPPER = [["sed", "-u", "-z", "s/.*/\\U&/"]]
ECHO_TWICE = [["sed", "-u", "-z", "s/^/>/"], ["sed", "-u", "-z", "s/^/>/"]]


def test_blocks_come_back_in_order_through_every_stage() -> None:
    pipeline = Pipeline(ECHO_TWICE)
    try:
        assert pipeline.translate([b"a", b"b", b"c"], lambda: False) == [b">>a", b">>b", b">>c"]
    finally:
        pipeline.close()


def test_concurrent_callers_share_one_pipeline_without_mixing() -> None:
    pipeline = Pipeline(UPPER, window=64)  # a tiny window forces callers' blocks to interleave
    results: dict[int, list[bytes]] = {}

    def work(number: int) -> None:
        results[number] = pipeline.translate([f"caller {number} block {i}".encode() for i in range(200)], lambda: False)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipeline.close()
    for number in range(6):
        assert results[number] == [f"CALLER {number} BLOCK {i}".encode() for i in range(200)]


def test_an_aborting_caller_leaves_the_pipeline_to_the_others(tmp_path: Path) -> None:
    # Given a slow stage and two callers / When one aborts / Then its unsent blocks are never sent,
    # the other is served in full and the pipeline was never restarted
    seen = tmp_path / "seen"  # one line per block the stage has read
    slow = [
        [
            "bash",
            "-c",
            f"while IFS= read -r -d '' block; do echo >> {seen}; sleep 0.01; printf '%s\\0' \"$block\"; done",
        ]
    ]
    pipeline = Pipeline(slow, window=256)
    pid = pipeline.pid
    abort = threading.Event()
    outcome: dict[str, object] = {}

    def aborting() -> None:
        try:
            pipeline.translate([b"x" * 20] * 500, abort.is_set)
        except Aborted:
            outcome["aborted"] = True

    first = threading.Thread(target=aborting)
    first.start()
    time.sleep(0.2)
    abort.set()
    other = pipeline.translate([b"keep %d" % i for i in range(20)], lambda: False)
    first.join()
    assert other == [b"keep %d" % i for i in range(20)]
    assert outcome == {"aborted": True}
    # what was in flight when it aborted (at most a 256-byte window of blocks) drains; the rest never goes
    assert len(seen.read_text().splitlines()) < 20 + 500 // 2
    assert pipeline.pid == pid and not pipeline.dead
    pipeline.close()


def test_an_announced_abort_wakes_a_waiting_caller_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a caller waiting on a stage that never answers, whose abort check is asked only once an
    # hour unless an abort is announced / When its task is aborted (TaskContext.abort announces it) /
    # Then it raises Aborted now, and the pipeline serves the next caller
    monkeypatch.setattr(_pipeline, "_ABORT_POLL_SECONDS", 3600.0)
    pipeline = Pipeline([["bash", "-c", "read -r -d '' x; sleep 600"]], stall_seconds=3600)
    now = datetime.now(UTC)
    task = Task("t", "j", 0, "file:///a.txt", "file:///b.txt", "en", "es", TaskStatus.RUNNING, now, now)
    ctx = TaskContext(task)
    outcome: dict[str, object] = {}

    def waiting() -> None:
        try:
            pipeline.translate([b"never answered"], ctx.should_abort)
        except Aborted:
            outcome["aborted"] = True

    caller = threading.Thread(target=waiting, daemon=True)
    caller.start()
    time.sleep(0.2)  # it waits for its result
    ctx.abort(AbortReason.USER_REQUEST)
    caller.join(timeout=60)
    pipeline.close()
    assert outcome == {"aborted": True}


def test_a_dying_pipeline_fails_every_waiting_caller() -> None:
    pipeline = Pipeline([["bash", "-c", "read -r -d '' x; exit 3"]])
    with pytest.raises(EngineCrashed):
        pipeline.translate([b"one", b"two"], lambda: False)
    assert pipeline.dead
    with pytest.raises(EngineCrashed):
        pipeline.translate([b"three"], lambda: False)


def test_a_hung_pipeline_times_out_and_is_killed() -> None:
    pipeline = Pipeline([["sleep", "600"]], stall_seconds=0.5)
    with pytest.raises(EngineTimeout):
        pipeline.translate([b"x" * 10], lambda: False)
    assert pipeline.dead
    with pytest.raises(ProcessLookupError):
        os.killpg(pipeline.pid, 0)


def test_killed_stages_are_reaped_not_left_as_zombies() -> None:
    pipeline = Pipeline(ECHO_TWICE)
    pids = pipeline.pids
    assert len(pids) == 2
    os.killpg(pipeline.pid, signal.SIGKILL)  # the first stage only: the pipeline ends every other
    with pytest.raises(EngineCrashed):
        pipeline.translate([b"x"], lambda: False)
    pipeline.close()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), "a stage was left behind as a zombie"


def test_a_small_request_goes_in_after_at_most_one_block_of_a_large_one(tmp_path: Path) -> None:
    # Given a slow stage busy with a request of 200 blocks / When a one-block request arrives / Then
    # its block is written after at most one more block of the large one (plus what was in flight),
    # not after all of them: requests take turns
    seen = tmp_path / "seen"  # one line per block, in the order the stage reads them
    slow = [
        [
            "bash",
            "-c",
            f"while IFS= read -r -d '' b; do printf '%s\\n' \"$b\" >> {seen}; sleep 0.005; printf '%s\\0' \"$b\"; done",
        ]
    ]
    pipeline = Pipeline(slow, window=64)  # blocks of 40 bytes: at most two in flight
    large = [b"large %03d " % number + b"x" * 29 for number in range(200)]
    results: list[list[bytes]] = []
    thread = threading.Thread(target=lambda: results.append(pipeline.translate(large, lambda: False)))
    thread.start()
    while not seen.exists() or len(seen.read_text().splitlines()) < 5:
        time.sleep(0.001)
    before = len(seen.read_text().splitlines())
    assert pipeline.translate([b"small"], lambda: False) == [b"small"]
    thread.join()
    pipeline.close()
    order = seen.read_text().splitlines()
    assert results == [large]
    assert order.count("small") == 1
    assert order.index("small") - before <= 3, f"{order.index('small') - before} large blocks went first"


def test_every_stage_has_its_own_session_out_of_a_terminals_reach() -> None:
    pipeline = Pipeline(ECHO_TWICE)
    try:
        for pid in pipeline.pids:
            assert os.getsid(pid) == os.getpgid(pid) == pid
            assert os.getsid(pid) != os.getsid(0) and os.getpgid(pid) != os.getpgid(0)
    finally:
        pipeline.close()


def test_a_pipeline_outlives_the_thread_that_started_it() -> None:
    # Stages die with Dragoman (PR_SET_PDEATHSIG), which the kernel ties to the thread that forked
    # them: a request thread that starts a shared pipeline and ends must not take it along.
    started: list[Pipeline] = []
    thread = threading.Thread(target=lambda: started.append(Pipeline(UPPER)))
    thread.start()
    thread.join()
    time.sleep(0.3)
    pipeline = started[0]
    try:
        assert pipeline.translate([b"still here"], lambda: False) == [b"STILL HERE"]
    finally:
        pipeline.close()


def test_a_pipeline_says_once_why_it_died_on_its_own_and_nothing_when_closed() -> None:
    # Given pipelines that tell why they ended
    ends: list[str] = []
    crashing = Pipeline([["bash", "-c", "read -r -d '' x; exit 3"]], on_end=ends.append)
    hanging = Pipeline([["sleep", "600"]], stall_seconds=0.5, on_end=ends.append)
    healthy = Pipeline(UPPER, on_end=ends.append)
    # When one crashes, one stalls and one is closed while it works
    with pytest.raises(EngineCrashed):
        crashing.translate([b"one"], lambda: False)
    with pytest.raises(EngineTimeout):
        hanging.translate([b"x"], lambda: False)
    assert healthy.translate([b"abc"], lambda: False) == [b"ABC"]
    for pipeline in (crashing, hanging, healthy):
        pipeline.close()
    # Then each death on its own was told once, as what it was, before its caller saw it
    assert ends == ["crashed", "stalled"]


def test_a_retired_pipeline_delivers_what_it_was_given_then_ends() -> None:
    # Given a pipeline with a caller's blocks in flight through a slow stage
    pipeline = Pipeline([["bash", "-c", "while IFS= read -r -d '' x; do sleep 0.05; printf '%s\\0' \"${x^^}\"; done"]])
    pids = pipeline.pids
    results: list[list[bytes]] = []
    caller = threading.Thread(
        target=lambda: results.append(pipeline.translate([f"block {i}".encode() for i in range(10)], lambda: False))
    )
    caller.start()
    time.sleep(0.1)
    # When it is retired meanwhile
    pipeline.retire()
    caller.join(timeout=10)
    # Then the caller gets every block, and the pipeline ends with nothing left running
    assert results == [[f"BLOCK {i}".encode() for i in range(10)]]
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pipeline.dead
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "a retired pipeline's stage was left running"
    with pytest.raises(EngineCrashed):  # a request after its end goes elsewhere (its engine retries it)
        pipeline.translate([b"late"], lambda: False)
    pipeline.close()  # closing an ended pipeline again is harmless


def test_no_request_waits_for_all_the_requests_that_came_after_it(tmp_path: Path) -> None:
    # bench 2026-12-01: the first documents of a 250-document job finished last, after 7 s "running",
    # each new request having gone ahead of those already waiting. Eight workers each send one block
    # at a time, as a job's workers do; a request may be overtaken by those already waiting or in
    # flight when it came, about one per worker, never by the whole job.
    slow = [["bash", "-c", "while IFS= read -r -d '' b; do sleep 0.002; printf '%s\\0' \"$b\"; done"]]
    pipeline = Pipeline(slow, window=40)  # blocks of 32 bytes: one in flight, the others queue
    numbers = iter(range(10_000))
    finished: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            with lock:
                number = next(numbers)
            assert pipeline.translate([b"request %05d " % number + b"x" * 18], lambda: False)
            with lock:
                finished.append(number)

    workers = [threading.Thread(target=worker) for _ in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    pipeline.close()
    assert sorted(finished) == list(range(200))
    overtaken = max(sum(1 for later in finished[: finished.index(n)] if later > n) for n in finished)
    assert overtaken <= 3 * len(workers), f"a request was overtaken by {overtaken} that came after it"
