"""`dragoman connector vendor ...` run as an agency's operator would, each command a real process on
one state folder with two human vendors: download, accept, upload, answer cancels; a refused upload
lists every problem (exit 2) and changes nothing; unknown jobs and vendors exit 3, actions the state
refuses exit 4."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from translate.storage import factory

from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow

SPANISH = {"The red chair": "La silla roja", "Lamp": "Lámpara"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "docs").mkdir()
    vendors = {"agency": {"kind": "human", "keys": ["a-key"]}, "rival": {"kind": "human", "keys": ["r-key"]}}
    return environment(tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_VENDORS=json.dumps(vendors))


def connector(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DRAGOMAN, "connector", *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == code, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def as_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(connector(env, *args, "--json").stdout)


def sent_job(env: dict[str, str]) -> str:
    connector(env, "entities", "put", "chair", "--lang", "en", "--field", "name=The red chair")
    connector(env, "entities", "put", "lamp", "--lang", "en", "--field", "name=Lamp")
    job = as_json(env, "jobs", "create", "--from", "en", "--to", "es", "--vendor", "agency", "--send", "chair", "lamp")
    assert job["status"] == "sent"
    return str(job["id"])


def translated(path: Path, out: Path) -> Path:
    store = factory.getobject(io.BytesIO(path.read_bytes()))
    for unit in store.units:
        if not unit.isheader():
            unit.target = SPANISH[unit.source]
    out.write_bytes(bytes(store))
    return out


def test_an_agency_works_a_job_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    job_id = sent_job(env)
    listed = connector(env, "vendor", "list", "--vendor", "agency").stdout
    assert (
        f"vendor job {job_id}: received · en -> es (delivered: -) · 2 units · next: accept, download, upload" in listed
    )
    assert "1 of 1 vendor jobs" in listed
    assert "0 of 0 vendor jobs" in connector(env, "vendor", "list", "--vendor", "rival").stdout

    file = tmp_path / "job.es.xlf"
    saved = connector(env, "vendor", "download", job_id, "--vendor", "agency", "-o", str(file))
    assert f"{job_id}.es.xliff12.xlf written to {file}" in saved.stderr
    assert b'version="1.2"' in file.read_bytes()
    two = connector(env, "vendor", "download", job_id, "--vendor", "agency", "--xliff-version", "2.0").stdout
    assert 'version="2.0"' in two and 'trgLang="es"' in two

    assert as_json(env, "vendor", "accept", job_id, "--vendor", "agency")["state"] == "in_production"
    assert as_json(env, "jobs", "poll", job_id)["status"] == "in_production"
    done = connector(
        env, "vendor", "upload", job_id, str(translated(file, tmp_path / "done.xlf")), "--vendor", "agency"
    )
    assert f"vendor job {job_id}: delivered" in done.stdout
    assert as_json(env, "jobs", "poll", job_id)["status"] == "ready_for_import"
    assert as_json(env, "jobs", "import", job_id)["status"] == "imported"
    assert as_json(env, "entities", "show", "lamp")["translations"] == {"es": {"name": "Lámpara"}}


def test_a_refused_upload_lists_every_problem_exits_2_and_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    job_id = sent_job(env)
    file = tmp_path / "job.xlf"
    connector(env, "vendor", "download", job_id, "--vendor", "agency", "-o", str(file))
    before = as_json(env, "vendor", "show", job_id, "--vendor", "agency")
    refused = connector(env, "vendor", "upload", job_id, str(file), "--vendor", "agency", code=2)
    assert "error: the XLIFF file is refused (2 problems; nothing was changed):" in refused.stderr
    assert "- unit 'chair/name': it has no target" in refused.stderr
    assert "- unit 'lamp/name': it has no target" in refused.stderr
    assert as_json(env, "vendor", "show", job_id, "--vendor", "agency") == before
    missing = connector(env, "vendor", "upload", job_id, str(tmp_path / "nowhere.xlf"), "--vendor", "agency", code=2)
    assert "cannot be read" in missing.stderr


def test_cancel_requests_are_approved_or_refused_and_the_tenant_s_poll_follows(env: dict[str, str]) -> None:
    job_id = sent_job(env)
    refused = connector(env, "vendor", "approve-cancel", job_id, "--vendor", "agency", code=4)
    assert "there is no cancel request to answer: no cancel was requested" in refused.stderr
    assert as_json(env, "jobs", "cancel", job_id)["cancel_request"] == "requested"
    assert as_json(env, "vendor", "approve-cancel", job_id, "--vendor", "agency")["state"] == "cancelled"
    polled = as_json(env, "jobs", "poll", job_id)
    assert (polled["status"], polled["cancel_request"]) == ("cancelled", "approved")
    assert as_json(env, "entities", "show", "chair")["in_translation"] == []
    connector(env, "vendor", "accept", job_id, "--vendor", "agency", code=4)

    again = as_json(env, "jobs", "resubmit", job_id)
    connector(env, "jobs", "send", again["id"])
    connector(env, "jobs", "cancel", again["id"])
    assert as_json(env, "vendor", "refuse-cancel", again["id"], "--vendor", "agency")["state"] == "in_production"
    polled = as_json(env, "jobs", "poll", again["id"])
    assert (polled["status"], polled["cancel_request"]) == ("in_production", "refused")


def test_unknown_vendors_and_jobs_exit_3_and_another_vendor_s_job_is_unknown(env: dict[str, str]) -> None:
    job_id = sent_job(env)
    unnamed = connector(env, "vendor", "list", code=3)  # two human vendors: which one acts?
    assert "name the human vendor acting with --vendor (configured: agency, rival)" in unnamed.stderr
    assert "no human vendor is named 'local'" in connector(env, "vendor", "list", "--vendor", "local", code=3).stderr
    for command in ("show", "accept", "download", "approve-cancel", "refuse-cancel"):
        result = connector(env, "vendor", command, job_id, "--vendor", "rival", code=3)
        assert f"vendor job {job_id} not found" in result.stderr
    alone = {**env, "DRAGOMAN_CONNECTOR_VENDORS": json.dumps({"agency": {"kind": "human", "keys": ["a-key"]}})}
    assert as_json(alone, "vendor", "show", job_id)["id"] == job_id  # the only human vendor acts
    connector(alone, "vendor", "download", job_id, "--xliff-version", "3.0", code=2)
