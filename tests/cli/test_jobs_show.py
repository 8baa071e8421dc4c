"""`dragoman jobs show` tells what a cancel achieved, in words (issue 11 §3, §6). Real processes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from dragoman.service import Dragoman
from tests.conftest import wait_terminal
from tests.processes import DRAGOMAN, environment
from tests.runner.test_recovery import DEAD_OWNER, start_orphan


def test_a_job_whose_cancel_lost_the_race_says_so(tmp_path: Path) -> None:
    # Given a job whose one document was published before the cancel was accepted
    settings, job_id, task_id, docs = start_orphan(tmp_path, cancel=False)
    app = Dragoman.from_settings(settings)
    output = b"Me gustan los perros.\n"
    assert app.store.record_output(task_id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest())
    app.storage.for_tenant("default").publish(str(docs / "out" / "es" / "a.txt"), output)
    app.cancel(job_id)
    app.close()
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        assert wait_terminal(runner, job_id).status.value == "succeeded"
    # When it is shown
    env = environment(settings.data_dir, [docs], COLUMNS="200")
    shown = subprocess.run([DRAGOMAN, "jobs", "show", job_id[:8]], env=env, capture_output=True, text=True, timeout=60)
    # Then it says the job succeeded, and that the cancel came too late
    assert shown.returncode == 0, shown.stderr
    assert f"job {job_id}: succeeded" in shown.stdout
    assert "a cancel was asked for and lost the race: every document had finished" in shown.stdout
