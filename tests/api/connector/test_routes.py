"""The connector's REST API against a real `dragoman serve` with the local vendor (its own batch jobs,
run by its runner with Apertium): the happy path, both cancel paths, and bad input answered in the
one documented error shape. The receiver is off (DRAGOMAN_CONNECTOR_POLL_SECONDS=0) so that every
poll is the test's, except in the receiver's own test."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ACME_KEY, GLOBEX_KEY = "acme-connector-key", "globex-connector-key"
AZURE_VERSION = "2024-05-01"
LONG_TEXT = " ".join(["The government announced new measures to improve public health in the city."] * 250)


def _client(url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("connector")
    (root / "docs").mkdir()
    tenants = {"acme": {"azure_keys": [ACME_KEY]}, "globex": {"azure_keys": [GLOBEX_KEY]}}
    env = environment(
        root / "data",
        [root / "docs"],
        workers=2,
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
        DRAGOMAN_MAX_REQUEST_BYTES_CONNECTOR=str(1024 * 1024),
    )
    with serving(env, root / "server.log") as url:
        yield url


@pytest.fixture
def acme(server: str) -> Iterator[httpx.Client]:
    with _client(server, ACME_KEY) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error answer, after checking its status and that its body is exactly
    `{"error": {"code", "message"}}`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


def until(client: httpx.Client, job_id: str, done: Callable[[dict[str, Any]], bool], *, poll: bool = True) -> Any:
    """The job once `done(job)` holds, polling its vendor (or only reading it: `poll=False`)."""
    deadline = time.monotonic() + 120
    while True:
        job = ok(client.post(f"/connector/jobs/{job_id}:poll")) if poll else ok(client.get(f"/connector/jobs/{job_id}"))
        if done(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def put(client: httpx.Client, entity_id: str, **fields: str) -> Any:
    return ok(client.put(f"/connector/entities/{entity_id}", json={"source_language": "en", "fields": fields}))


def new_job(client: httpx.Client, entities: list[str], targets: list[str], name: str = "job") -> Any:
    body = {"name": name, "source_language": "en", "target_languages": targets, "entity_ids": entities}
    response = client.post("/connector/jobs", json=body)
    job = ok(response, 201)
    assert response.headers["location"] == f"/connector/jobs/{job['id']}"
    return job


def test_the_happy_path_creates_sends_polls_imports_and_shows_the_language_sets(acme: httpx.Client) -> None:
    chair = put(acme, "happy/chair", name="The red house", description="I like dogs.")
    assert chair == {
        "id": "happy/chair",
        "source_language": "en",
        "revision": "1",
        "fields": {"name": "The red house", "description": "I like dogs."},
        "translations": {},
        "in_translation": [],
        "translated": [],
    }
    put(acme, "happy/table", name="The cat is black.", sku="")
    job = new_job(acme, ["happy/chair", "happy/table"], ["es", "ca"], name="spring catalogue")
    assert job["status"] == "draft" and job["actions"] == ["cancel", "send"]
    assert job["counts"]["items"] == 4 and job["counts"]["entities"] == 2 and job["counts"]["pending"] == 4
    assert {item["entity"] for item in job["items"]} == {"happy/chair", "happy/table"}
    table_item = next(item for item in job["items"] if item["entity"] == "happy/table")
    assert set(table_item["fields"]) == {"name"}  # the empty sku is not sent
    assert len(table_item["fields"]["name"]["hash"]) == 64

    sent = ok(acme.post(f"/connector/jobs/{job['id']}:send"))
    assert sent["status"] == "sent" and sent["vendor_ref"] and sent["counts"]["sent"] == 4
    assert ok(acme.get("/connector/entities/happy/chair"))["in_translation"] == ["ca", "es"]
    error(acme.post(f"/connector/jobs/{job['id']}:send"), 409, "Conflict")  # sent once
    message = error(acme.post("/connector/jobs", json={**_body(["happy/chair"], ["es"])}), 409, "Conflict")
    assert "already in translation" in message  # one live job per entity and language

    delivered = until(acme, job["id"], lambda job: job["status"] == "ready_for_import")
    assert delivered["actions"] == ["import"]
    imported = ok(acme.post(f"/connector/jobs/{job['id']}:import"))
    assert imported["status"] == "imported" and imported["counts"]["imported"] == 4 and imported["actions"] == []
    assert all(item["status"] == "imported" and item["error"] is None for item in imported["items"])
    again = ok(acme.post(f"/connector/jobs/{job['id']}:import"))  # each item once: importing again changes nothing
    assert again["status"] == "imported" and again["items"] == imported["items"]

    chair = ok(acme.get("/connector/entities/happy/chair"))
    assert chair["translations"]["es"] == {"name": "La casa roja", "description": "Me gustan los perros."}
    assert chair["translations"]["ca"]["name"] == "La casa vermella"
    assert chair["in_translation"] == [] and chair["translated"] == ["ca", "es"]
    shown = ok(acme.get(f"/connector/jobs/{job['id']}"))
    assert shown == imported

    # nothing changed: nothing to send; one field changed: only it is sent
    message = error(acme.post("/connector/jobs", json=_body(["happy/chair"], ["es"])), 400, "Invalid")
    assert "nothing to translate" in message
    put(acme, "happy/chair", name="The red house", description="The cat is black.")
    again = new_job(acme, ["happy/chair", "happy/table"], ["es"])
    assert [(item["entity"], sorted(item["fields"])) for item in again["items"]] == [("happy/chair", ["description"])]
    assert ok(acme.get("/connector/entities/happy/chair"))["revision"] == "2"

    listed = ok(acme.get("/connector/jobs", params={"limit": 2}))
    assert [entry["id"] for entry in listed["jobs"]] == [again["id"], job["id"]]  # newest first
    assert "items" not in listed["jobs"][0] and listed["total"] >= 2


def _body(entities: list[str], targets: list[str]) -> dict[str, Any]:
    return {"source_language": "en", "target_languages": targets, "entity_ids": entities}


def test_a_cancel_request_the_vendor_approves_cancels_the_job_and_it_can_be_resubmitted(acme: httpx.Client) -> None:
    # Given a job long enough that the vendor (the runner's batch job) has not finished when the cancel comes
    entities = [f"approve/{number}" for number in range(20)]
    for number, entity in enumerate(entities):
        put(acme, entity, text=f"{number}. {LONG_TEXT}")
    job = new_job(acme, entities, ["es"])
    ok(acme.post(f"/connector/jobs/{job['id']}:send"))
    # When cancelled once sent: a request to the vendor, recorded
    requested = ok(acme.post(f"/connector/jobs/{job['id']}:cancel"))
    assert requested["status"] in ("sent", "in_production") and requested["cancel_request"] == "requested"
    assert ok(acme.post(f"/connector/jobs/{job['id']}:cancel"))["cancel_request"] == "requested"  # same request
    # Then the vendor's answer arrives with a poll: approved, cancelled, the entities' languages freed
    cancelled = until(acme, job["id"], lambda job: job["status"] == "cancelled")
    assert cancelled["cancel_request"] == "approved" and cancelled["actions"] == ["resubmit"]
    assert all(item["status"] == "cancelled" for item in cancelled["items"])
    entity = ok(acme.get(f"/connector/entities/{entities[0]}"))
    assert entity["in_translation"] == [] and entity["translated"] == [] and entity["translations"] == {}
    error(acme.post(f"/connector/jobs/{job['id']}:cancel"), 409, "CancelRefused")
    error(acme.post(f"/connector/jobs/{job['id']}:import"), 409, "Conflict")

    response = acme.post(f"/connector/jobs/{job['id']}:resubmit")
    resubmitted = ok(response, 201)
    assert response.headers["location"] == f"/connector/jobs/{resubmitted['id']}"
    assert resubmitted["status"] == "draft" and resubmitted["resubmits"] == job["id"]
    assert resubmitted["counts"]["items"] == 20
    # a draft is cancelled on the connector's own, at once
    assert ok(acme.post(f"/connector/jobs/{resubmitted['id']}:cancel"))["status"] == "cancelled"


def test_a_cancel_request_the_vendor_refuses_leaves_the_job_in_production_then_imported(
    acme: httpx.Client, server: str
) -> None:
    put(acme, "refuse/chair", name="The red house")
    job = new_job(acme, ["refuse/chair"], ["es"])
    sent = ok(acme.post(f"/connector/jobs/{job['id']}:send"))
    # Given a vendor that has delivered everything (seen through the Azure door: the same tenant's
    # batch job), while Dragoman, not having polled, still has the job as sent
    with httpx.Client(base_url=server, headers={"Ocp-Apim-Subscription-Key": ACME_KEY}) as azure:

        def batch_status() -> str:
            path = f"/translator/document/batches/{sent['vendor_ref']}"
            return str(ok(azure.get(path, params={"api-version": AZURE_VERSION}))["status"])

        deadline = time.monotonic() + 60
        while batch_status() != "Succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    # When a cancel is requested, the vendor refuses it at the next poll (work started)
    assert ok(acme.post(f"/connector/jobs/{job['id']}:cancel"))["cancel_request"] == "requested"
    refused = ok(acme.post(f"/connector/jobs/{job['id']}:poll"))
    assert refused["cancel_request"] == "refused" and refused["status"] in ("in_production", "ready_for_import")
    message = error(acme.post(f"/connector/jobs/{job['id']}:cancel"), 409, "CancelRefused")
    assert "refused" in message or "delivered" in message  # asked again: refused (and the work is done)
    # Then the job goes on, and is imported
    until(acme, job["id"], lambda job: job["status"] == "ready_for_import")
    imported = ok(acme.post(f"/connector/jobs/{job['id']}:import"))
    assert imported["status"] == "imported" and imported["actions"] == ["resubmit"]
    entity = ok(acme.get("/connector/entities/refuse/chair"))
    assert entity["translated"] == ["es"] and entity["translations"]["es"]["name"] == "La casa roja"


def test_bad_input_is_refused_in_the_one_error_shape_and_changes_nothing(acme: httpx.Client, server: str) -> None:
    put(acme, "bad/chair", name="The red house")
    put(acme, "bad/empty", name="", sku="   ")
    before = ok(acme.get("/connector/jobs"))["total"]
    for body, status, code, words in (
        (_body(["bad/chair"], ["xx"]), 400, "Invalid", "no installed engine translates 'en' into 'xx'"),
        (_body(["bad/chair"], ["zz-!!"]), 400, "Invalid", "not a language code"),
        ({**_body(["bad/chair"], ["es"]), "source_language": "klingon!"}, 400, "Invalid", "not a language code"),
        (_body(["bad/chair"], ["en"]), 400, "Invalid", "cannot also be a target"),
        (_body(["bad/chair"], []), 400, "Invalid", "at least one target"),
        (_body([], ["es"]), 400, "Invalid", "at least one entity"),
        ({**_body(["bad/chair"], ["es"]), "vendor": "nobody"}, 400, "Invalid", "unknown vendor"),
        (_body(["bad/empty"], ["es"]), 400, "Invalid", "nothing to translate"),
        (_body(["bad/chair", "bad/missing"], ["es"]), 404, "NotFound", "no entity 'bad/missing'"),
        ({**_body(["bad/chair"], ["es"]), "targets": ["es"]}, 400, "Invalid", "targets"),
        ({"source_language": "en"}, 400, "Invalid", "target_languages is required"),
        ({**_body(["bad/chair"], ["es"]), "due_at": "tomorrow"}, 400, "Invalid", "due_at"),
    ):
        assert words in error(acme.post("/connector/jobs", json=body), status, code), body
    json_headers = {"Content-Type": "application/json"}
    assert "not valid JSON" in error(acme.post("/connector/jobs", content=b"{", headers=json_headers), 400, "Invalid")
    assert "JSON object" in error(acme.post("/connector/jobs", json=[1]), 400, "Invalid")
    assert ok(acme.get("/connector/jobs"))["total"] == before  # nothing was created

    error(acme.get("/connector/jobs/no-such-job"), 404, "NotFound")
    error(acme.post("/connector/jobs/no-such-job:send"), 404, "NotFound")
    error(acme.get("/connector/entities/bad/missing"), 404, "NotFound")
    error(acme.get("/connector/nowhere"), 404, "NotFound")
    error(acme.delete("/connector/jobs"), 405, "MethodNotAllowed")
    error(acme.get("/connector/jobs", params={"limit": 0}), 400, "Invalid")
    error(acme.put("/connector/entities/bad/x", json={"source_language": "en", "fields": {"a": 1}}), 400, "Invalid")
    error(acme.put("/connector/entities/bad/x", json={"source_language": "??", "fields": {}}), 400, "Invalid")
    error(acme.put(f"/connector/entities/{'x' * 201}", json={"source_language": "en", "fields": {}}), 400, "Invalid")
    lone_surrogate = b'{"source_language": "en", "fields": {"name": "\\ud800"}}'
    error(acme.put("/connector/entities/bad/x", content=lone_surrogate, headers=json_headers), 400, "Invalid")
    error(acme.get("/connector/entities/bad/x"), 404, "NotFound")  # none of those was stored

    # keys: none, unknown, malformed, two different ones; another tenant's job is not there
    for headers in (
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Basic {ACME_KEY}"},
        {"Authorization": f"Bearer {ACME_KEY}", "Ocp-Apim-Subscription-Key": GLOBEX_KEY},
    ):
        with _client(server, None) as anonymous:
            response = anonymous.get("/connector/entities/bad/chair", headers=headers)
            error(response, 401, "Unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")
    with _client(server, None) as by_header:
        response = by_header.get("/connector/entities/bad/chair", headers={"Ocp-Apim-Subscription-Key": ACME_KEY})
        assert ok(response)["id"] == "bad/chair"  # the Azure door's header works too
    job = new_job(acme, ["bad/chair"], ["es"])
    with _client(server, GLOBEX_KEY) as globex:
        error(globex.get(f"/connector/jobs/{job['id']}"), 404, "NotFound")
        error(globex.post(f"/connector/jobs/{job['id']}:cancel"), 404, "NotFound")
        error(globex.get("/connector/entities/bad/chair"), 404, "NotFound")
        assert "bad/chair" not in [entity["id"] for entity in ok(globex.get("/connector/entities"))["entities"]]


def test_entities_import_and_export_as_json_and_csv(server: str) -> None:
    with _client(server, GLOBEX_KEY) as globex:  # a tenant of its own: the export is exactly this test's
        rows = 'id,source_language,name,description\r\nlamp,en,The lamp,"I like dogs, and cats."\r\n'
        rows += "sofa,en,The sofa,\r\n"
        csv_headers = {"Content-Type": "text/csv"}
        report = ok(globex.post("/connector/entities:import", content=rows.encode(), headers=csv_headers))
        assert report == {"created": ["lamp", "sofa"], "updated": [], "unchanged": []}
        assert ok(globex.get("/connector/entities/sofa"))["fields"] == {"name": "The sofa"}  # empty cell: no field
        entities = [{"id": "desk", "source_language": "en", "fields": {"name": "The desk"}}]
        assert ok(globex.post("/connector/entities:import", json=entities))["created"] == ["desk"]
        page = ok(globex.get("/connector/entities", params={"limit": 2}))
        assert [entity["id"] for entity in page["entities"]] == ["desk", "lamp"] and page["total"] == 3
        assert ok(globex.get("/connector/entities", params={"offset": 2}))["entities"][0]["id"] == "sofa"

        # translate the lamp, so that the exports carry a translation
        job = new_job(globex, ["lamp"], ["es"])
        ok(globex.post(f"/connector/jobs/{job['id']}:send"))
        until(globex, job["id"], lambda job: job["status"] == "ready_for_import")
        ok(globex.post(f"/connector/jobs/{job['id']}:import"))

        exported = globex.get("/connector/entities:export", params={"format": "csv"})
        assert exported.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(exported.text, newline="")))
        lamp = next(row for row in table if row["id"] == "lamp")
        assert lamp["description"] == "I like dogs, and cats." and lamp["name@es"] == "La lámpara"
        as_json = ok(globex.get("/connector/entities:export"))
        assert [entity["id"] for entity in as_json] == ["desk", "lamp", "sofa"]
        assert as_json[1]["translated"] == ["es"] and as_json[1]["translations"]["es"]["name"] == "La lámpara"

        # an export imports back unchanged, either way
        unchanged = {"created": [], "updated": [], "unchanged": ["desk", "lamp", "sofa"]}
        assert ok(globex.post("/connector/entities:import", content=exported.content, headers=csv_headers)) == unchanged
        assert ok(globex.post("/connector/entities:import", json=as_json)) == unchanged

        # a bad file is refused whole: nothing of it is written
        bad = "id,source_language,name\r\nnew,en,New\r\nworse,??,Worse\r\n"
        assert "CSV line 3" in error(
            globex.post("/connector/entities:import", content=bad.encode(), headers=csv_headers), 400, "Invalid"
        )
        error(globex.get("/connector/entities/new"), 404, "NotFound")
        error(globex.post("/connector/entities:import", json={"id": "x"}), 400, "Invalid")
        error(globex.post("/connector/entities:import", json=[entities[0], entities[0]]), 400, "Invalid")
        error(globex.post("/connector/entities:import", content=b"x", headers={"Content-Type": "text/plain"}), 415,
              "UnsupportedMediaType")  # fmt: skip
        error(globex.get("/connector/entities:export", params={"format": "xml"}), 400, "Invalid")


def test_a_body_over_its_cap_is_refused_before_it_is_read(acme: httpx.Client) -> None:
    rows = b"id,source_language,name\r\n" + b"lamp,en,The lamp\r\n" * 70_000  # about 1.2 MB
    response = acme.post("/connector/entities:import", content=rows, headers={"Content-Type": "text/csv"})
    assert "max_request_bytes_connector" in error(response, 413, "RequestTooLarge")
    error(acme.get("/connector/entities/lamp"), 404, "NotFound")


def test_vendors_and_the_openapi_description(acme: httpx.Client, server: str) -> None:
    vendors = ok(acme.get("/connector/vendors"))["vendors"]
    assert [vendor["name"] for vendor in vendors] == ["local"]
    assert {"source": "en", "target": "es"} in vendors[0]["language_pairs"]
    description = httpx.get(f"{server}/openapi.json").json()
    paths = description["paths"]
    for path in (
        "/connector/entities/{entity_id}",
        "/connector/entities:import",
        "/connector/jobs/{job_id}:cancel",
        "/connector/jobs/{job_id}:resubmit",
    ):
        assert path in paths
    cancel = paths["/connector/jobs/{job_id}:cancel"]["post"]
    assert cancel["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert {"ApiKeyBearer", "ApiKeyHeader"} <= set(description["components"]["securitySchemes"])


def test_the_receiver_polls_and_imports_sent_jobs_on_its_own(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    env = environment(tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_POLL_SECONDS="0.2")
    with serving(env, tmp_path / "server.log") as url, _client(url, "dragoman-local-key") as client:
        put(client, "chair", name="The red house")
        job = new_job(client, ["chair"], ["es", "ca"])
        ok(client.post(f"/connector/jobs/{job['id']}:send"))
        imported = until(client, job["id"], lambda job: job["status"] == "imported", poll=False)
        assert {item["status"] for item in imported["items"]} == {"imported"}  # nobody polled or imported by hand
        chair = ok(client.get("/connector/entities/chair"))
        assert chair["in_translation"] == [] and sorted(chair["translated"]) == ["ca", "es"]


def test_with_review_import_the_receiver_polls_but_leaves_the_import_to_a_person(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    env = environment(
        tmp_path / "data",
        [tmp_path / "docs"],
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0.2",
        DRAGOMAN_CONNECTOR_IMPORT="review",
    )
    with serving(env, tmp_path / "server.log") as url, _client(url, "dragoman-local-key") as client:
        put(client, "chair", name="The red house")
        job = new_job(client, ["chair"], ["es"])
        ok(client.post(f"/connector/jobs/{job['id']}:send"))
        delivered = until(client, job["id"], lambda job: job["status"] == "ready_for_import", poll=False)
        assert delivered["cancel_request"] == "none"  # nobody polled by hand; nothing is imported on its own
        assert ok(client.get("/connector/entities/chair"))["in_translation"] == ["es"]
