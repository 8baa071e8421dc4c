"""`dragoman connector ...` run as a user would, each command a real process on one state folder; the
local vendor's batch jobs run in `connector jobs poll --wait` (or `dragoman jobs wait`), since no
server runs them here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "docs").mkdir()
    return environment(tmp_path / "data", [tmp_path / "docs"])


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DRAGOMAN, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == code, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def connector(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    return run(env, "connector", *args, code=code)


def as_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(connector(env, *args, "--json").stdout)


def test_the_happy_path_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    put = connector(env, "entities", "put", "chair", "--lang", "en", "--field", "name=The red house",
                    "--field", "description=I like dogs.")  # fmt: skip
    assert "entity chair (en, revision 1)" in put.stdout and "name: The red house" in put.stdout
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("id,source_language,name\ntable,en,The cat is black.\nlamp,en,\n", encoding="utf-8")
    assert "2 created, 0 updated, 0 unchanged" in connector(env, "entities", "import", str(catalogue)).stdout
    listed = connector(env, "entities", "list").stdout
    assert "chair  en  rev 1  2 fields" in listed and "3 of 3 entities" in listed

    created = as_json(env, "jobs", "create", "--name", "spring", "--from", "en", "--to", "es", "--to", "ca",
                      "chair", "table")  # fmt: skip
    assert created["status"] == "draft" and created["counts"]["items"] == 4
    job_id = created["id"]
    sent = connector(env, "jobs", "send", job_id[:8])  # by a prefix of its id
    assert f"connector job {job_id}: sent" in sent.stdout
    shown = connector(env, "jobs", "show", job_id).stdout
    assert "chair -> es  sent  fields: description, name" in shown
    assert "chair: in translation: ca, es · translated: -" in shown

    delivered = connector(env, "jobs", "poll", job_id, "--wait")  # runs the local vendor's batch job here
    assert "ready_for_import" in delivered.stdout and "next: import" in delivered.stdout
    imported = as_json(env, "jobs", "import", job_id)
    assert imported["status"] == "imported" and imported["counts"]["imported"] == 4

    document = as_json(env, "jobs", "show", job_id)
    assert document["job"]["id"] == job_id and len(document["job"]["items"]) == 4
    chair = next(entity for entity in document["entities"] if entity["id"] == "chair")
    assert chair["in_translation"] == [] and chair["translated"] == ["ca", "es"]
    assert chair["translations"]["es"] == {"name": "La casa roja", "description": "Me gustan los perros."}
    shown = connector(env, "jobs", "show", job_id).stdout
    assert "table: in translation: - · translated: ca, es" in shown
    entity = connector(env, "entities", "show", "table").stdout
    assert "name [es]: El gato es negro." in entity and "translated: ca, es" in entity
    jobs = as_json(env, "jobs", "list")
    assert [job["id"] for job in jobs["jobs"]] == [job_id] and "items" not in jobs["jobs"][0]
    assert f"connector job {job_id}: imported" in connector(env, "jobs", "list").stdout

    # export, then import back: nothing changes
    exported = tmp_path / "entities.json"
    connector(env, "entities", "export", "--out", str(exported))
    assert [entity["id"] for entity in json.loads(exported.read_text())] == ["chair", "lamp", "table"]
    assert "0 created, 0 updated, 3 unchanged" in connector(env, "entities", "import", str(exported)).stdout
    rows = connector(env, "entities", "export", "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("id,source_language,revision,name,description") and "name@es" in rows[0]


def test_cancel_approved_refused_and_in_draft_then_resubmit(env: dict[str, str]) -> None:
    connector(env, "entities", "put", "chair", "--lang", "en", "--field", "name=The red house")
    connector(env, "entities", "put", "table", "--lang", "en", "--field", "name=The cat is black.")

    # approved: no one has run the vendor's batch job yet, so the vendor cancels it
    job = as_json(env, "jobs", "create", "--from", "en", "--to", "es", "--send", "chair")
    assert job["status"] == "sent"
    requested = as_json(env, "jobs", "cancel", job["id"])
    assert requested["status"] == "sent" and requested["cancel_request"] == "requested"
    approved = as_json(env, "jobs", "poll", job["id"])
    assert approved["status"] == "cancelled" and approved["cancel_request"] == "approved"
    assert "chair: in translation: - · translated: -" in connector(env, "jobs", "show", job["id"]).stdout
    again = as_json(env, "jobs", "resubmit", job["id"])
    assert again["status"] == "draft" and again["resubmits"] == job["id"]
    assert as_json(env, "jobs", "cancel", again["id"])["status"] == "cancelled"  # a draft: at once

    # refused: the vendor delivered everything before the cancel was asked
    job = as_json(env, "jobs", "create", "--from", "en", "--to", "es", "--send", "table")
    run(env, "jobs", "wait", job["vendor_ref"], "--quiet")  # the vendor's own batch job, run to its end
    assert as_json(env, "jobs", "cancel", job["id"])["cancel_request"] == "requested"
    refused = as_json(env, "jobs", "poll", job["id"])
    assert refused["cancel_request"] == "refused" and refused["status"] in ("in_production", "ready_for_import")
    assert "error:" in connector(env, "jobs", "cancel", job["id"], code=4).stderr  # refused in its state
    delivered = as_json(env, "jobs", "poll", job["id"], "--wait")
    assert delivered["status"] == "ready_for_import"
    assert as_json(env, "jobs", "import", job["id"])["status"] == "imported"
    assert "translated: es" in connector(env, "entities", "show", "table").stdout


def test_bad_input_exits_with_the_command_lines_codes(env: dict[str, str], tmp_path: Path) -> None:
    connector(env, "entities", "put", "chair", "--lang", "en", "--field", "name=The red house")
    connector(env, "entities", "put", "empty", "--lang", "en", "--field", "name=")
    for args, code, words in (
        (["jobs", "create", "--from", "en", "--to", "xx", "chair"], 2, "no installed engine translates"),
        (["jobs", "create", "--from", "en", "--to", "zz-!!", "chair"], 2, "not a language code"),
        (["jobs", "create", "--from", "en", "--to", "es", "empty"], 2, "nothing to translate"),
        (["jobs", "create", "--from", "en", "--to", "es", "--vendor", "nobody", "chair"], 2, "unknown vendor"),
        (["jobs", "create", "--from", "en", "--to", "es", "--due", "soon", "chair"], 2, "--due"),
        (["jobs", "create", "--from", "en", "--to", "es", "missing"], 3, "no entity 'missing'"),
        (["jobs", "show", "no-such-job"], 3, "not found"),
        (["jobs", "send", "0123456789abcdef"], 3, "not found"),
        (["entities", "show", "missing"], 3, "no entity"),
        (["entities", "put", "x", "--lang", "en", "--field", "no-equals-sign"], 2, "NAME=TEXT"),
        (["entities", "put", "x", "--lang", "??"], 2, "not a language code"),
        (["entities", "import", str(tmp_path / "entities.txt")], 2, "cannot tell the format"),
        (["entities", "import", str(tmp_path / "missing.json")], 2, "cannot be read"),
        (["entities", "export", "--format", "xml"], 2, "use json or csv"),
    ):
        assert words in connector(env, *args, code=code).stderr, args
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "new", "source_language": "en", "fields": {}}, {"id": "worse", "fields": {}}]')
    assert "entity [1]" in connector(env, "entities", "import", str(bad), code=2).stderr
    connector(env, "entities", "show", "new", code=3)  # checked whole: nothing of it was written

    job = as_json(env, "jobs", "create", "--from", "en", "--to", "es", "chair")
    connector(env, "jobs", "import", job["id"], code=4)  # not delivered
    connector(env, "jobs", "resubmit", job["id"], code=4)  # not cancelled
    connector(env, "jobs", "create", "--from", "en", "--to", "es", "--send", "chair")  # a second draft, sent
    refused = connector(env, "jobs", "create", "--from", "en", "--to", "es", "chair", code=4)
    assert "already in translation" in refused.stderr  # one live job per entity and language


def test_help_is_plain(env: dict[str, str]) -> None:
    commands = [["connector"], ["connector", "entities"], ["connector", "jobs"]]
    commands += [["connector", "entities", name] for name in ("put", "show", "list", "import", "export")]
    commands += [["connector", "jobs", name] for name in ("create", "send", "cancel", "poll", "import", "show")]
    for command in commands:
        long, short = run(env, *command, "--help"), run(env, *command, "-h")
        assert long.stdout == short.stdout, command
        for python in ("<list[", "<bool>", "<str>", "<path>", "<int", "{entities}", "{job_id}"):
            assert python not in long.stdout, (command, python, long.stdout)
    assert "ENTITY..." in run(env, "connector", "jobs", "create", "--help").stdout
