"""Source systems and automatic sending against a real `dragoman serve` (the local vendor: its own
batch jobs, run by its runner with Apertium), a real Strapi 5 CMS and the real command line: the
tenant's sources listed and synced over REST and the CLI (a source that is down is a 502 and exit
code 6); rules that translate the embedded catalogue, and a Strapi collection, with nobody creating
a job, sending only what changed the next time."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.connector.test_routes import error, ok, put
from tests.processes import DRAGOMAN, environment, serving
from tests.strapi_server import Strapi, running_strapi

pytestmark = pytest.mark.slow

KEY, ACME_KEY = "dragoman-local-key", "acme-connector-key"
TENANTS = {"default": {"azure_keys": [KEY]}, "acme": {"azure_keys": [ACME_KEY]}}


@pytest.fixture(scope="module")
def strapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Strapi]:
    with running_strapi(tmp_path_factory.mktemp("strapi")) as server:
        yield server


def client(url: str, key: str = KEY) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def cli(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([DRAGOMAN, "connector", *args], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == code, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def eventually(check: Callable[[], Any], timeout: float = 120) -> Any:
    """`check()`'s answer once it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_source_systems_are_listed_and_synced_over_rest_and_the_command_line(tmp_path: Path, strapi: Strapi) -> None:
    (tmp_path / "docs").mkdir()
    sources = {
        "cms": strapi.source_table(),
        "down": {**strapi.source_table(), "url": "http://127.0.0.1:9"},
        "acme-cms": {**strapi.source_table(), "tenant": "acme"},
    }
    env = environment(
        tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_TENANTS=json.dumps(TENANTS),
        DRAGOMAN_CONNECTOR_SOURCES=json.dumps(sources), DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
    )  # fmt: skip
    chair = strapi.create(sku="SRC-1", title="The red house", description="I like dogs.")
    with serving(env, tmp_path / "server.log") as url, client(url) as default, client(url, ACME_KEY) as acme:
        listed = ok(default.get("/connector/sources"))["sources"]
        assert listed == [
            {"name": "cms", "kind": "strapi", "cursor": None, "synced_at": None},
            {"name": "down", "kind": "strapi", "cursor": None, "synced_at": None},
        ]  # the tenant's own only
        assert [source["name"] for source in ok(acme.get("/connector/sources"))["sources"]] == ["acme-cms"]

        report = ok(default.post("/connector/sources/cms:sync"))
        assert report["source"] == "cms" and report["read"] >= 1 and report["changed"] >= 1 and report["cursor"]
        assert ok(default.get(f"/connector/entities/{chair['documentId']}"))["fields"]["title"] == "The red house"
        cms = ok(default.get("/connector/sources"))["sources"][0]
        assert cms["cursor"] == report["cursor"] and cms["synced_at"].endswith("Z")
        again = ok(default.post("/connector/sources/cms:sync"))  # from the cursor: the newest again, unchanged
        assert again["changed"] == 0
        assert ok(default.post("/connector/sources/cms:sync", params={"full": "true"}))["read"] == report["read"]

        message = error(default.post("/connector/sources/down:sync"), 502, "SourceSystemError")
        assert "'down'" in message and "could not be reached" in message and strapi.token not in message
        error(default.post("/connector/sources/nowhere:sync"), 404, "NotFound")
        error(acme.post("/connector/sources/cms:sync"), 404, "NotFound")  # another tenant's source
        error(default.post("/connector/sources/cms:sync", params={"full": "maybe"}), 400, "Invalid")

        paths = httpx.get(f"{url}/openapi.json").json()["paths"]
        sync = paths["/connector/sources/{name}:sync"]["post"]
        assert sync["responses"]["502"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
        assert {"/connector/sources", "/connector/rules", "/connector/rules/{name}:run"} <= set(paths)

        # the command line, as the tenant `default`, on the same state folder
        assert "cms  strapi  last sync" in cli(env, "sources", "list").stdout
        synced = json.loads(cli(env, "sources", "sync", "cms", "--full", "--json").stdout)
        assert synced["source"] == "cms" and synced["read"] == report["read"] and synced["changed"] == 0
        down = cli(env, "sources", "sync", "down", code=6)
        assert "could not be reached" in down.stderr and strapi.token not in down.stderr
        cli(env, "sources", "sync", "nowhere", code=3)


def test_a_rule_translates_the_catalogue_with_nobody_creating_a_job_and_then_only_what_changed(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs").mkdir()
    rules = {"auto": {"select": "all", "source_language": "en", "target_languages": ["es", "ca"], "every_seconds": 0.5}}
    env = environment(
        tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_POLL_SECONDS="0.2",
        DRAGOMAN_CONNECTOR_RULES=json.dumps(rules),
    )  # fmt: skip
    with serving(env, tmp_path / "server.log") as url, client(url) as api:
        put(api, "chair", name="The red house", description="I like dogs.")
        put(api, "table", name="The cat is black.")

        def translated(entity: str, language: str, field: str, text: str) -> bool:
            found = ok(api.get(f"/connector/entities/{entity}"))
            return bool(found["translations"].get(language, {}).get(field) == text)

        eventually(lambda: translated("chair", "ca", "name", "La casa vermella"))
        eventually(lambda: translated("table", "es", "name", "El gato es negro."))
        eventually(lambda: ok(api.get("/connector/entities/chair"))["translated"] == ["ca", "es"])
        (first,) = ok(api.get("/connector/jobs"))["jobs"]  # one job, made by the rule
        assert first["name"].startswith("rule auto ") and first["counts"]["items"] == 4

        put(api, "chair", name="The red house", description="The cat is black.")  # one field edited
        eventually(lambda: translated("chair", "es", "description", "El gato es negro."))
        eventually(lambda: ok(api.get("/connector/jobs"))["jobs"][0]["status"] == "imported")
        jobs = ok(api.get("/connector/jobs"))["jobs"]
        assert len(jobs) == 2
        second = ok(api.get(f"/connector/jobs/{jobs[0]['id']}"))
        assert sorted((item["entity"], item["language"], list(item["fields"])) for item in second["items"]) == [
            ("chair", "ca", ["description"]), ("chair", "es", ["description"]),
        ]  # fmt: skip

        (auto,) = ok(api.get("/connector/rules"))["rules"]
        assert auto["name"] == "auto" and auto["select"] == "all" and auto["every_seconds"] == 0.5
        assert auto["job_id"] == second["id"] and auto["last_run_at"] and auto["next_run_at"]
        ran = eventually(lambda: _run(api, "auto"))  # run now (once no process holds it)
        assert ran["job"] is None and ran["outcome"] == "nothing to send" and ran["synced"] is None
        error(api.post("/connector/rules/nowhere:run"), 404, "NotFound")
        listed = cli(env, "rules", "list").stdout
        assert "auto  all of the catalogue  en -> es, ca  vendor local  every 0.5 s" in listed
        assert len(ok(api.get("/connector/jobs"))["jobs"]) == 2  # nothing more was sent


def _run(api: httpx.Client, name: str) -> Any:
    response = api.post(f"/connector/rules/{name}:run")
    if response.status_code == 409:  # the server's own round holds it now
        return None
    return ok(response)


def test_a_rule_on_a_strapi_source_syncs_translates_and_writes_back_with_nobody_asking(
    tmp_path: Path, strapi: Strapi
) -> None:
    (tmp_path / "docs").mkdir()
    rules = {"cms-es": {"source": "cms", "select": {"field": "title", "equals": "A rule's lamp"},
                        "source_language": "en", "target_languages": ["es"], "every_seconds": 0.5}}  # fmt: skip
    env = environment(
        tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_POLL_SECONDS="0.2",
        DRAGOMAN_CONNECTOR_SOURCES=json.dumps({"cms": strapi.source_table()}),
        DRAGOMAN_CONNECTOR_RULES=json.dumps(rules),
    )  # fmt: skip
    lamp = strapi.create(sku="RULE-1", title="A rule's lamp", description="I like dogs.")
    other = strapi.create(sku="RULE-2", title="Another product", description="I like cats.")
    with serving(env, tmp_path / "server.log") as url, client(url) as api:
        spanish = eventually(lambda: strapi.get(lamp["documentId"], "es"))
        assert spanish["description"] == "Me gustan los perros." and spanish["sku"] == "RULE-1"
        eventually(lambda: ok(api.get("/connector/jobs"))["jobs"][0]["status"] == "imported")
        strapi.update(lamp["documentId"], "en", description="The cat is black.")  # an editor's change in Strapi
        eventually(lambda: (strapi.get(lamp["documentId"], "es") or {}).get("description") == "El gato es negro.")
        eventually(lambda: ok(api.get("/connector/jobs"))["jobs"][0]["status"] == "imported")
        jobs = ok(api.get("/connector/jobs"))["jobs"]
        assert len(jobs) == 2
        second = ok(api.get(f"/connector/jobs/{jobs[0]['id']}"))
        assert [(item["entity"], list(item["fields"])) for item in second["items"]] == [
            (lamp["documentId"], ["description"])
        ]
        assert strapi.get(other["documentId"], "es") is None  # not selected: its title is another
        (rule,) = ok(api.get("/connector/rules"))["rules"]
        assert rule["source"] == "cms" and rule["select"] == {"field": "title", "equals": "A rule's lamp"}


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"target_languages": ["es", "de"]}, "at mixed: no installed engine translates 'en' into 'de'"),
        ({"tenant": "ghost"}, "at mixed: no tenant 'ghost'"),
    ],
)
def test_a_rule_that_could_never_run_stops_serve_at_start_naming_it(
    tmp_path: Path, rule: dict[str, Any], words: str
) -> None:
    """It used to start, then fail at every run and send nothing, not even into its good targets."""
    (tmp_path / "docs").mkdir()
    table = {"select": "all", "source_language": "en", "target_languages": ["es"], "every_seconds": 1, **rule}
    env = environment(tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_RULES=json.dumps({"mixed": table}))
    done = subprocess.run([DRAGOMAN, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "DRAGOMAN_CONNECTOR_RULES" in done.stderr and words in done.stderr, done.stderr
