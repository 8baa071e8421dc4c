"""The agency routes (/connector/vendor/...) against a real `dragoman serve` with two tenants and two
human vendors: a translation agency downloads XLIFF 1.2 and 2.0, fills it with translate-toolkit as
its CAT tool would, accepts, uploads, and answers cancel requests; the tenant's polls and imports
follow. Bad uploads are refused listing every problem and change nothing; each vendor sees only its
own jobs; tenants' and vendors' keys open only their own routes. The receiver is off
(DRAGOMAN_CONNECTOR_POLL_SECONDS=0): every poll is the test's."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lxml import etree
from translate.storage import factory, xliff2

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ACME_KEY, GLOBEX_KEY = "acme-vendor-test-key", "globex-vendor-test-key"
AGENCY_KEY, RIVAL_KEY = "agency-secret-key", "rival-secret-key"
SPANISH = {"The red chair": "La silla roja", "A chair to sit on.": "Una silla para sentarse.", "Lamp": "Lámpara"}
CATALAN = {"The red chair": "La cadira vermella", "A chair to sit on.": "Una cadira per seure.", "Lamp": "Llum"}
CAP = 256 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("vendor")
    (root / "docs").mkdir()
    tenants = {"acme": {"azure_keys": [ACME_KEY]}, "globex": {"azure_keys": [GLOBEX_KEY]}}
    vendors = {
        "agency": {"kind": "human", "keys": [AGENCY_KEY]},
        "rival": {"kind": "human", "keys": [RIVAL_KEY], "xliff_version": "2.0"},
    }
    env = environment(
        root / "data",
        [root / "docs"],
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_CONNECTOR_VENDORS=json.dumps(vendors),
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
        DRAGOMAN_MAX_REQUEST_BYTES_CONNECTOR=str(CAP),
    )
    with serving(env, root / "server.log") as url:
        yield url


def client(url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=60)


@pytest.fixture
def acme(server: str) -> Iterator[httpx.Client]:
    with client(server, ACME_KEY) as session:
        yield session


@pytest.fixture
def agency(server: str) -> Iterator[httpx.Client]:
    with client(server, AGENCY_KEY) as session:
        yield session


@pytest.fixture
def rival(server: str) -> Iterator[httpx.Client]:
    with client(server, RIVAL_KEY) as session:
        yield session


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error answer in the connector's one shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


def sent_job(acme: httpx.Client, entity_prefix: str, *targets: str) -> str:
    """A job for the `agency` vendor over two fresh entities, sent; its id."""
    chair, lamp = f"{entity_prefix}-chair", f"{entity_prefix}-lamp"
    fields = {chair: {"name": "The red chair", "description": "A chair to sit on."}, lamp: {"name": "Lamp"}}
    for entity, values in fields.items():
        ok(acme.put(f"/connector/entities/{entity}", json={"source_language": "en", "fields": values}))
    body = {"name": entity_prefix, "source_language": "en", "target_languages": list(targets or ["es"]),
            "vendor": "agency", "entity_ids": [chair, lamp]}  # fmt: skip
    job = ok(acme.post("/connector/jobs", json=body), 201)
    assert ok(acme.post(f"/connector/jobs/{job['id']}:send"))["status"] == "sent"
    return str(job["id"])


def with_targets_1_2(data: bytes, words: dict[str, str]) -> bytes:
    """A 1.2 file translated with translate-toolkit, as a CAT tool does (codes kept as rich text)."""
    store = factory.getobject(io.BytesIO(data))
    for unit in store.units:
        if not unit.isheader():
            unit.target = words[unit.source]
    return bytes(store)


def with_targets_2_0(data: bytes, words: dict[str, str]) -> bytes:
    store = xliff2.Xliff2File.parsestring(data)
    for unit in store.units:
        unit.target = words[unit.source]
    return bytes(store)


def upload(session: httpx.Client, job_id: str, data: bytes) -> httpx.Response:
    return session.post(
        f"/connector/vendor/jobs/{job_id}:upload", content=data, headers={"Content-Type": "application/xliff+xml"}
    )


def download(session: httpx.Client, job_id: str, **params: str) -> bytes:
    response = session.get(f"/connector/vendor/jobs/{job_id}/xliff", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xliff+xml"
    return response.content


def test_an_agency_downloads_accepts_and_uploads_and_the_tenant_imports(
    acme: httpx.Client, agency: httpx.Client
) -> None:
    job_id = sent_job(acme, "happy", "es", "ca")
    listed = ok(agency.get("/connector/vendor/jobs"))
    mine = next(job for job in listed["jobs"] if job["id"] == job_id)
    assert mine["state"] == "received" and mine["target_languages"] == ["es", "ca"]
    assert mine["actions"] == ["accept", "download", "upload"] and mine["counts"] == {"items": 4, "units": 6}

    spanish = download(agency, job_id, language="es")  # 1.2: the vendor's default
    assert b'version="1.2"' in spanish and b'target-language="es"' in spanish
    catalan = download(agency, job_id, language="ca", version="2.0")
    assert b'version="2.0"' in catalan and b'trgLang="ca"' in catalan

    assert ok(agency.post(f"/connector/vendor/jobs/{job_id}:accept"))["state"] == "in_production"
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "in_production"
    after_es = ok(upload(agency, job_id, with_targets_1_2(spanish, SPANISH)))
    assert after_es["state"] == "in_production" and after_es["delivered_languages"] == ["es"]
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "in_production"
    after_ca = ok(upload(agency, job_id, with_targets_2_0(catalan, CATALAN)))
    assert after_ca["state"] == "delivered" and after_ca["actions"] == ["download"]
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "ready_for_import"

    imported = ok(acme.post(f"/connector/jobs/{job_id}:import"))
    assert imported["status"] == "imported" and imported["counts"]["imported"] == 4
    chair = ok(acme.get("/connector/entities/happy-chair"))
    assert chair["translations"] == {
        "es": {"name": "La silla roja", "description": "Una silla para sentarse."},
        "ca": {"name": "La cadira vermella", "description": "Una cadira per seure."},
    }
    assert chair["translated"] == ["ca", "es"] and chair["in_translation"] == []
    error(upload(agency, job_id, with_targets_1_2(spanish, SPANISH)), 409, "Conflict")  # delivered: no more


def test_a_job_cancelled_before_it_was_sent_never_reaches_the_agency(acme: httpx.Client, agency: httpx.Client) -> None:
    ok(acme.put("/connector/entities/draft-chair", json={"source_language": "en", "fields": {"name": "Chair"}}))
    body = {"source_language": "en", "target_languages": ["es"], "vendor": "agency", "entity_ids": ["draft-chair"]}
    job = ok(acme.post("/connector/jobs", json=body), 201)
    assert ok(acme.post(f"/connector/jobs/{job['id']}:cancel"))["status"] == "cancelled"
    assert job["id"] not in {listed["id"] for listed in ok(agency.get("/connector/vendor/jobs"))["jobs"]}
    error(agency.get(f"/connector/vendor/jobs/{job['id']}"), 404, "NotFound")


def test_a_cancel_the_agency_approves_cancels_the_job_at_the_next_poll(
    acme: httpx.Client, agency: httpx.Client
) -> None:
    job_id = sent_job(acme, "approve")
    ok(agency.post(f"/connector/vendor/jobs/{job_id}:accept"))
    assert ok(acme.post(f"/connector/jobs/{job_id}:cancel"))["cancel_request"] == "requested"
    queued = ok(agency.get(f"/connector/vendor/jobs/{job_id}"))
    assert queued["cancel_request"] == "requested" and "approve-cancel" in queued["actions"]
    assert ok(acme.get("/connector/entities/approve-chair"))["in_translation"] == ["es"]
    assert ok(agency.post(f"/connector/vendor/jobs/{job_id}:approve-cancel"))["state"] == "cancelled"
    polled = ok(acme.post(f"/connector/jobs/{job_id}:poll"))
    assert (polled["status"], polled["cancel_request"]) == ("cancelled", "approved")
    chair = ok(acme.get("/connector/entities/approve-chair"))
    assert chair["in_translation"] == [] and chair["translated"] == []
    error(agency.get(f"/connector/vendor/jobs/{job_id}/xliff"), 409, "Conflict")  # nothing left to translate
    error(agency.post(f"/connector/vendor/jobs/{job_id}:refuse-cancel"), 409, "CancelRefused")


def test_a_cancel_the_agency_refuses_goes_on_to_delivery_and_import(acme: httpx.Client, agency: httpx.Client) -> None:
    job_id = sent_job(acme, "refuse")
    ok(acme.post(f"/connector/jobs/{job_id}:cancel"))
    refused = ok(agency.post(f"/connector/vendor/jobs/{job_id}:refuse-cancel"))
    assert (refused["state"], refused["cancel_request"]) == ("in_production", "refused")
    polled = ok(acme.post(f"/connector/jobs/{job_id}:poll"))
    assert (polled["status"], polled["cancel_request"]) == ("in_production", "refused")
    error(acme.post(f"/connector/jobs/{job_id}:cancel"), 409, "CancelRefused")
    ok(upload(agency, job_id, with_targets_1_2(download(agency, job_id), SPANISH)))
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "ready_for_import"
    assert ok(acme.post(f"/connector/jobs/{job_id}:import"))["status"] == "imported"
    assert ok(acme.get("/connector/entities/refuse-lamp"))["translations"] == {"es": {"name": "Lámpara"}}


def _bad_files(good: bytes, other_job: bytes) -> list[tuple[bytes, list[str] | None]]:
    """(file, the problems it is refused with), each a mistake an agency could make."""
    root = etree.fromstring(good)
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    target = root.xpath("//x:trans-unit[@id='bad-chair/name']/x:target", namespaces=ns)[0]
    target.text = ""
    lamp = root.xpath("//x:trans-unit[@id='bad-lamp/name']", namespaces=ns)[0]
    lamp.getparent().remove(lamp)
    several = etree.tostring(root)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file><body/></file></xliff>'
    )
    return [
        (several, ["unit 'bad-chair/name': its target is empty", "1 unit(s) missing: 'bad-lamp/name'"]),
        (b"this is not XML", ["the file is not well-formed XML: Start tag expected, '<' not found, line 1, column 1"]),
        (good.replace(b'target-language="es"', b'target-language="fr"'),
         ["the file's target language is 'fr'; this job is translated into es"]),
        (laughs, ["the file declares a DOCTYPE, which XLIFF does not use: remove it"]),
        (other_job, None),  # checked below: another job's file
    ]  # fmt: skip


def test_bad_uploads_are_refused_with_every_problem_and_change_nothing(
    acme: httpx.Client, agency: httpx.Client
) -> None:
    job_id = sent_job(acme, "bad")
    other_id = sent_job(acme, "other")
    good = with_targets_1_2(download(agency, job_id), SPANISH)
    other = with_targets_1_2(download(agency, other_id), SPANISH)
    before = ok(agency.get(f"/connector/vendor/jobs/{job_id}"))
    for data, expected in _bad_files(good, other):
        message = error(upload(agency, job_id, data), 400, "Invalid")
        head, *listed = message.split("\n- ")
        assert head.startswith("the XLIFF file is refused (") and head.endswith("nothing was changed):")
        if expected is not None:
            assert listed == expected
        else:
            assert listed == [
                f"the file is not this job's (its <file original> is 'dragoman-connector-job/{other_id}'): "
                "was it downloaded for another job?",
                *(f"unit {name!r} is not one of this job's units for es"
                  for name in ("other-chair/description", "other-chair/name", "other-lamp/name")),
                "3 unit(s) missing: 'bad-chair/description', 'bad-chair/name', 'bad-lamp/name'",
            ]  # fmt: skip
        assert ok(agency.get(f"/connector/vendor/jobs/{job_id}")) == before
    huge = good + b"<!--" + b" " * CAP + b"-->"
    assert "larger than" in error(upload(agency, job_id, huge), 413, "RequestTooLarge")
    assert ok(agency.get(f"/connector/vendor/jobs/{job_id}")) == before
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "sent"
    assert ok(upload(agency, job_id, good))["state"] == "delivered"  # the right file still goes in


def _targets_typed(data: bytes, typed: dict[str, list[Any]]) -> bytes:
    """A downloaded 1.2 file with targets as an agency's tool writes them: unit id -> the target's
    content, each a text (text as typed: lxml escapes it) or ("g", code id, text) for an inline code."""
    root = etree.fromstring(data)
    ns = "urn:oasis:names:tc:xliff:document:1.2"
    for unit in root.iter(f"{{{ns}}}trans-unit"):
        target = etree.SubElement(unit, f"{{{ns}}}target")
        target.text, last = "", None
        for part in typed[unit.get("id") or ""]:
            if isinstance(part, str):
                if last is None:
                    target.text += part
                else:
                    last.tail = (last.tail or "") + part
            else:
                last = etree.SubElement(target, f"{{{ns}}}{part[0]}", id=part[1])
                last.text = part[2]
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_text_an_agency_types_comes_back_as_text_never_as_markup(acme: httpx.Client, agency: httpx.Client) -> None:
    # Given an entity whose name is markup (it holds <b>) and whose note is plain text
    fields = {"name": "The <b>red</b> chair &amp; table", "note": "Lamp"}
    ok(acme.put("/connector/entities/xss-chair", json={"source_language": "en", "fields": fields}))
    body = {"name": "xss", "source_language": "en", "target_languages": ["es"], "vendor": "agency",
            "entity_ids": ["xss-chair"]}  # fmt: skip
    job_id = ok(acme.post("/connector/jobs", json=body), 201)["id"]
    ok(acme.post(f"/connector/jobs/{job_id}:send"))
    data = download(agency, job_id)
    payload = "<img src=x onerror=alert(9)>"  # typed as text: `&lt;img ...&gt;` in the file
    name = [payload + " La silla ", ("g", "1", "roja"), " & <script>alert(1)</script> mesa"]

    # When the agency types a tag into the plain field, the file is refused, naming it
    refused = error(upload(agency, job_id, _targets_typed(data, {"xss-chair/name": name, "xss-chair/note": [payload]})),
                    400, "Invalid")  # fmt: skip
    assert (
        "unit 'xss-chair/note': the translation holds markup its source does not have "
        "('<img src=x onerror=alert(9)>') (the source is plain text: write it as words)"
    ) in refused.split("\n- ")

    # When it types them into the markup field only, they come back escaped, beside the <b> of the code
    ok(upload(agency, job_id, _targets_typed(data, {"xss-chair/name": name, "xss-chair/note": ["Lámpara"]})))
    assert ok(acme.post(f"/connector/jobs/{job_id}:poll"))["status"] == "ready_for_import"
    assert ok(acme.post(f"/connector/jobs/{job_id}:import"))["status"] == "imported"
    expected = (
        "&lt;img src=x onerror=alert(9)&gt; La silla <b>roja</b> &amp; &lt;script&gt;alert(1)&lt;/script&gt; mesa"
    )
    chair = ok(acme.get("/connector/entities/xss-chair"))
    assert chair["translations"] == {"es": {"name": expected, "note": "Lámpara"}}
    exported = acme.get("/connector/entities:export", params={"format": "csv"}).text
    row = next(line for line in exported.splitlines() if line.startswith("xss-chair,"))
    assert expected in row and "<img" not in row and "<script" not in row


def test_a_vendor_sees_and_acts_on_none_of_another_vendor_s_jobs(
    acme: httpx.Client, agency: httpx.Client, rival: httpx.Client
) -> None:
    job_id = sent_job(acme, "private")
    assert job_id not in {job["id"] for job in ok(rival.get("/connector/vendor/jobs"))["jobs"]}
    for response in (
        rival.get(f"/connector/vendor/jobs/{job_id}"),
        rival.get(f"/connector/vendor/jobs/{job_id}/xliff"),
        rival.post(f"/connector/vendor/jobs/{job_id}:accept"),
        upload(rival, job_id, download(agency, job_id)),
        rival.post(f"/connector/vendor/jobs/{job_id}:approve-cancel"),
        rival.post(f"/connector/vendor/jobs/{job_id}:refuse-cancel"),
    ):
        assert error(response, 404, "NotFound") == f"vendor job {job_id} not found"
    assert ok(agency.get(f"/connector/vendor/jobs/{job_id}"))["state"] == "received"


def test_tenants_keys_and_vendors_keys_open_only_their_own_routes(server: str) -> None:
    with client(server, ACME_KEY) as tenant, client(server, AGENCY_KEY) as vendor, client(server, None) as nobody:
        assert error(tenant.get("/connector/vendor/jobs"), 401, "Unauthorized") == "the API key is not a vendor's key"
        assert error(vendor.get("/connector/jobs"), 401, "Unauthorized") == "the API key is not valid"
        assert error(vendor.get("/connector/vendors"), 401, "Unauthorized") == "the API key is not valid"
        assert "a vendor's API key is required" in error(nobody.get("/connector/vendor/jobs"), 401, "Unauthorized")
        answer = nobody.get("/connector/vendor/jobs", headers={"Authorization": "Basic abc"})
        assert "is not 'Bearer <key>'" in error(answer, 401, "Unauthorized")
        assert answer.headers["www-authenticate"].startswith("Bearer")
        # a refused key is refused before the body is read, whatever its size
        assert error(upload(tenant, "x", b"<" * 1000), 401, "Unauthorized")


def test_the_agency_routes_are_in_the_openapi_description_with_their_own_key(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    routes = {(method, path) for path, item in spec["paths"].items() for method in item if "/vendor/" in path}
    assert routes == {
        ("get", "/connector/vendor/jobs"), ("get", "/connector/vendor/jobs/{job_id}"),
        ("get", "/connector/vendor/jobs/{job_id}/xliff"), ("post", "/connector/vendor/jobs/{job_id}:accept"),
        ("post", "/connector/vendor/jobs/{job_id}:upload"),
        ("post", "/connector/vendor/jobs/{job_id}:approve-cancel"),
        ("post", "/connector/vendor/jobs/{job_id}:refuse-cancel"),
    }  # fmt: skip
    upload_route = spec["paths"]["/connector/vendor/jobs/{job_id}:upload"]["post"]
    assert upload_route["security"] == [{"VendorKeyBearer": []}]
    assert set(upload_route["requestBody"]["content"]) == {"application/xliff+xml", "application/xml"}
    assert upload_route["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
