"""The connector's pages over HTTP, against a real `dragoman serve` with two tenants and two human
vendors: a tenant's catalogue (entities × languages, out-of-date markers), its connector jobs and a
job's page (lifecycle, the vendor's answer to a cancel request, the import report, the actions its
state allows), and an agency's own pages (its jobs, download, upload, cancel answers). Entities and
jobs are made through the REST API, as a tenant's PIM would; the agency fills its XLIFF with
translate-toolkit, as its CAT tool would. Isolation: a tenant sees only its own, a vendor only its
own and no tenant page. A POST without the session's CSRF token is refused and changes nothing.
The receiver is off (DRAGOMAN_CONNECTOR_POLL_SECONDS=0) and imports wait for review: every poll and
import is the page's."""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import pytest
from translate.storage import factory

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ACME, GLOBEX = "acme-connector-pages-key", "globex-connector-pages-key"
AGENCY, RIVAL = "agency-pages-key", "rival-pages-key"
SPANISH = {"Red chair": "Silla roja", "A chair to sit on.": "Una silla para sentarse.", "Lamp": "Lámpara"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("connector-pages")
    (root / "docs").mkdir()
    tenants = {"acme": {"azure_keys": [ACME]}, "globex": {"azure_keys": [GLOBEX]}}
    vendors = {"agency": {"kind": "human", "keys": [AGENCY]}, "rival": {"kind": "human", "keys": [RIVAL]}}
    env = environment(
        root / "data",
        [root / "docs"],
        workers=1,
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_CONNECTOR_VENDORS=json.dumps(vendors),
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
        DRAGOMAN_CONNECTOR_IMPORT="review",
    )
    with serving(env, root / "server.log") as url:
        yield url


@pytest.fixture
def rest(server: str) -> Iterator[httpx.Client]:
    """acme's REST client (its PIM)."""
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ACME}"}, timeout=60) as client:
        yield client


def browser(server: str, key: str) -> tuple[httpx.Client, str]:
    """A client signed in to the pages with `key` (a cookie jar of its own), and its CSRF token."""
    client = httpx.Client(base_url=server, timeout=60)
    token = csrf_of(client.get("/ui/signin").text)
    answer = client.post("/ui/signin", data={"key": key, "csrf_token": token, "next": "/ui/connector/jobs"})
    assert answer.status_code == 303, answer.text
    landing = client.get(answer.headers["location"])
    assert landing.status_code == 200, landing.text
    return client, csrf_of(landing.text)


@pytest.fixture
def acme(server: str) -> Iterator[tuple[httpx.Client, str]]:
    client, token = browser(server, ACME)
    try:
        yield client, token
    finally:
        client.close()


@pytest.fixture
def agency(server: str) -> Iterator[tuple[httpx.Client, str]]:
    client, token = browser(server, AGENCY)
    try:
        yield client, token
    finally:
        client.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def sent_job(rest: httpx.Client, vendor: str = "agency", *, send: bool = True) -> tuple[str, str, str]:
    """A job over two fresh entities into Spanish for `vendor`, sent: (job id, chair id, lamp id)."""
    prefix = uuid.uuid4().hex[:8]
    chair, lamp = f"{prefix}/chair", f"{prefix}-lamp"
    ok(rest.put(f"/connector/entities/{chair}", json={"source_language": "en", "fields": {
        "name": "Red chair", "description": "A chair to sit on."}}))  # fmt: skip
    ok(rest.put(f"/connector/entities/{lamp}", json={"source_language": "en", "fields": {"name": "Lamp"}}))
    body = {"name": f"spring {prefix}", "source_language": "en", "target_languages": ["es"], "vendor": vendor,
            "entity_ids": [chair, lamp]}  # fmt: skip
    job = ok(rest.post("/connector/jobs", json=body), 201)["id"]
    if send:
        assert ok(rest.post(f"/connector/jobs/{job}:send"))["status"] == "sent"
    return job, chair, lamp


def filled(data: bytes, words: dict[str, str]) -> bytes:
    store = factory.getobject(io.BytesIO(data))
    for unit in store.units:
        if not unit.isheader():
            unit.target = words[unit.source]
    return bytes(store)


def act(client: httpx.Client, token: str, path: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": token})


def status_of(page: str) -> str:
    found = re.search(r'id="job-status">([^<]+)<', page)
    assert found is not None
    return found.group(1)


def cell(page: str, entity: str, language: str) -> str:
    row = re.search(rf'<tr data-entity="{re.escape(entity)}">(.*?)</tr>', page, re.S)
    assert row is not None, entity
    found = re.search(rf'data-language="{language}"[^>]*>([^<]*)<', row.group(1))
    assert found is not None
    return found.group(1).strip()


def test_the_vendor_flow_from_download_to_the_tenant_s_import(
    rest: httpx.Client, acme: tuple[httpx.Client, str], agency: tuple[httpx.Client, str]
) -> None:
    # Given a job sent to the agency
    job, chair, lamp = sent_job(rest)
    tenant, tenant_token = acme
    pages, token = agency
    listing = pages.get("/ui/vendor").text
    assert job[:8] in listing and "received" in listing
    page = pages.get(f"/ui/vendor/jobs/{job}").text
    assert "Red chair" in page and 'id="answer-accept"' in page and 'id="file"' in page
    assert f'href="/ui/vendor/jobs/{job}/xliff?language=es&amp;version=2.0"' in page
    # the tenant's catalogue shows the entities In translation
    catalogue = tenant.get("/ui/connector/entities").text
    assert cell(catalogue, chair, "es") == "In translation" and cell(catalogue, lamp, "es") == "In translation"

    # When the agency downloads, accepts, uploads an untranslated file, then the translated one
    download = pages.get(f"/ui/vendor/jobs/{job}/xliff", params={"language": "es", "version": "1.2"})
    assert download.status_code == 200 and download.headers["content-type"] == "application/xliff+xml"
    assert "attachment" in download.headers["content-disposition"]
    accepted = act(pages, token, f"/ui/vendor/jobs/{job}/accept")
    assert accepted.status_code == 303
    assert "Accepted: the job is in production." in pages.get(accepted.headers["location"]).text
    refused = pages.post(
        f"/ui/vendor/jobs/{job}/upload", data={"csrf_token": token}, files={"file": ("job.xlf", download.content)}
    )
    assert refused.status_code == 400
    assert "The file is refused (3 problems); nothing was changed." in refused.text
    assert refused.text.count("it has no target") == 3  # every problem, one per line
    assert (
        ok(pages.get(f"/connector/vendor/jobs/{job}", headers={"Authorization": f"Bearer {AGENCY}"}))[
            "delivered_languages"
        ]
        == []
    )
    taken = pages.post(
        f"/ui/vendor/jobs/{job}/upload",
        data={"csrf_token": token},
        files={"file": ("job.es.xlf", filled(download.content, SPANISH), "application/xliff+xml")},
    )
    assert taken.status_code == 303, taken.text
    page = pages.get(taken.headers["location"]).text
    assert "every language is in (es), the job is delivered" in page and "Silla roja" in page
    assert 'id="file"' not in page  # nothing more is uploaded

    # Then the tenant asks the vendor, imports, and its entities are Translated
    polled = act(tenant, tenant_token, f"/ui/connector/jobs/{job}/poll")
    assert polled.status_code == 303
    page = tenant.get(f"/ui/connector/jobs/{job}").text
    assert "Asked agency: the job is ready for import." in page and status_of(page) == "ready for import"
    assert 'id="action-import"' in page and 'id="action-cancel"' not in page
    imported = act(tenant, tenant_token, f"/ui/connector/jobs/{job}/import")
    page = tenant.get(imported.headers["location"]).text
    assert "The job is imported: 2 items imported, 0 failed." in page and status_of(page) == "imported"
    assert page.count('class="item-imported"') == 2 and "Silla roja" in page
    assert "hx-trigger" not in page.split('id="job"')[1].split(">")[0]  # an ended job is not polled
    catalogue = tenant.get("/ui/connector/entities").text
    assert cell(catalogue, chair, "es") == "Translated" and cell(catalogue, lamp, "es") == "Translated"
    entity = tenant.get(f"/ui/connector/entities/{chair}").text
    assert 'id="translated">es<' in entity and 'id="in-translation">none<' in entity

    # And a source edited since is marked out of date, naming the field
    ok(rest.put(f"/connector/entities/{chair}", json={"source_language": "en", "fields": {
        "name": "Blue chair", "description": "A chair to sit on."}}))  # fmt: skip
    catalogue = tenant.get("/ui/connector/entities").text
    assert cell(catalogue, chair, "es") == "Translated, out of date" and cell(catalogue, lamp, "es") == "Translated"
    assert "changed since the last import: name" in catalogue
    stale = tenant.get("/ui/connector/entities", params={"status": "out_of_date", "language": "es"}).text
    assert chair in stale and lamp not in stale


def test_a_cancel_request_the_vendor_refuses_and_one_it_approves(
    rest: httpx.Client, acme: tuple[httpx.Client, str], agency: tuple[httpx.Client, str]
) -> None:
    tenant, tenant_token = acme
    pages, token = agency
    for answer, status, request_words in (
        ("refuse-cancel", "in production", "refused by the vendor: work on it has started"),
        ("approve-cancel", "cancelled", "approved by the vendor: the job is cancelled"),
    ):
        # Given a sent job: its page offers a request to the vendor, not a free cancel
        job, chair, _ = sent_job(rest)
        page = tenant.get(f"/ui/connector/jobs/{job}").text
        assert "Request cancellation from the vendor" in page and 'id="action-poll"' in page
        requested = act(tenant, tenant_token, f"/ui/connector/jobs/{job}/cancel")
        page = tenant.get(requested.headers["location"]).text
        assert "Cancellation requested from agency" in page
        assert 'data-state="requested">requested: waiting for the vendor&#39;s answer<' in page
        assert 'id="action-cancel"' not in page  # asked already
        # When the agency answers on its page
        vendor_page = pages.get(f"/ui/vendor/jobs/{job}").text
        assert "The client asks you to cancel this job." in vendor_page
        assert 'id="answer-approve-cancel"' in vendor_page and 'id="answer-refuse-cancel"' in vendor_page
        answered = act(pages, token, f"/ui/vendor/jobs/{job}/{answer}")
        assert answered.status_code == 303
        vendor_page = pages.get(answered.headers["location"]).text
        assert 'id="answer-approve-cancel"' not in vendor_page
        # Then the tenant's next poll shows the answer on its page
        act(tenant, tenant_token, f"/ui/connector/jobs/{job}/poll")
        page = tenant.get(f"/ui/connector/jobs/{job}").text
        assert status_of(page) == status and f">{request_words}<" in page
        sets = tenant.get(f"/ui/connector/entities/{chair}").text
        assert ('id="in-translation">es<' in sets) is (status == "in production")
    # a refused cancel is not asked again: the page says why
    refused_job = tenant.get("/ui/connector/jobs").text
    assert "refused" in refused_job


def test_a_draft_is_sent_or_cancelled_free_from_its_page(rest: httpx.Client, acme: tuple[httpx.Client, str]) -> None:
    tenant, token = acme
    draft, chair, _ = sent_job(rest, send=False)
    page = tenant.get(f"/ui/connector/jobs/{draft}").text
    assert status_of(page) == "draft" and "free: nothing was sent" in page and 'id="action-send"' in page
    cancelled = act(tenant, token, f"/ui/connector/jobs/{draft}/cancel")
    page = tenant.get(cancelled.headers["location"]).text
    assert "Cancelled, free" in page and status_of(page) == "cancelled" and 'id="action-resubmit"' in page
    resubmitted = act(tenant, token, f"/ui/connector/jobs/{draft}/resubmit")
    assert resubmitted.status_code == 303
    again = tenant.get(resubmitted.headers["location"]).text
    assert f"A new draft resubmits job {draft[:8]}" in again and status_of(again) == "draft"
    sent = act(tenant, token, resubmitted.headers["location"] + "/send")
    page = tenant.get(sent.headers["location"]).text
    assert "Sent to agency: the job is sent." in page
    assert 'id="in-translation">es<' in tenant.get(f"/ui/connector/entities/{chair}").text
    # a refusal is said on the job's page, and changes nothing
    refused = act(tenant, token, f"/ui/connector/jobs/{draft}/send")
    assert refused.status_code == 409 and "Not done: the job is cancelled" in refused.text


def test_a_tenant_sees_only_its_own_and_a_vendor_only_its_jobs(
    server: str, rest: httpx.Client, acme: tuple[httpx.Client, str], agency: tuple[httpx.Client, str]
) -> None:
    mine, chair, _ = sent_job(rest)
    theirs, _, _ = sent_job(rest, "rival")
    tenant, tenant_token = acme
    pages, token = agency
    globex, globex_token = browser(server, GLOBEX)
    rival, rival_token = browser(server, RIVAL)
    try:
        # another tenant: nothing listed, 404 by URL, and its POSTs change nothing
        assert mine[:8] not in globex.get("/ui/connector/jobs").text
        assert chair not in globex.get("/ui/connector/entities").text
        assert globex.get(f"/ui/connector/jobs/{mine}").status_code == 404
        assert globex.get(f"/ui/connector/entities/{chair}").status_code == 404
        assert act(globex, globex_token, f"/ui/connector/jobs/{mine}/cancel").status_code == 404
        assert ok(rest.get(f"/connector/jobs/{mine}"))["cancel_request"] == "none"
        # another vendor: the agency's job is not listed nor found, and cannot be answered or downloaded
        assert mine[:8] not in rival.get("/ui/vendor").text and theirs[:8] in rival.get("/ui/vendor").text
        assert theirs[:8] not in pages.get("/ui/vendor").text
        assert rival.get(f"/ui/vendor/jobs/{mine}").status_code == 404
        assert rival.get(f"/ui/vendor/jobs/{mine}/xliff").status_code == 404
        assert act(rival, rival_token, f"/ui/vendor/jobs/{mine}/accept").status_code == 404
        assert pages.get(f"/ui/vendor/jobs/{theirs}").status_code == 404
        # a vendor sees no tenant page; a tenant no vendor page
        assert pages.get("/ui/connector/entities").headers["location"] == "/ui/vendor"
        assert pages.get("/ui/connector/jobs").headers["location"] == "/ui/vendor"
        assert pages.get(f"/ui/connector/jobs/{mine}").status_code == 404
        assert pages.get(f"/ui/connector/entities/{chair}").status_code == 404
        assert act(pages, token, f"/ui/connector/jobs/{mine}/cancel").status_code == 404
        assert tenant.get("/ui/vendor").status_code == 404
        assert tenant.get(f"/ui/vendor/jobs/{mine}").status_code == 404
        assert tenant.get(f"/ui/vendor/jobs/{mine}/xliff").status_code == 404
        assert act(tenant, tenant_token, f"/ui/vendor/jobs/{mine}/accept").status_code == 404
    finally:
        globex.close()
        rival.close()
    vendor_job = ok(pages.get(f"/connector/vendor/jobs/{mine}", headers={"Authorization": f"Bearer {AGENCY}"}))
    assert vendor_job["state"] == "received" and vendor_job["cancel_request"] == "none"
    assert ok(rest.get(f"/connector/jobs/{mine}"))["cancel_request"] == "none"


def test_a_post_without_the_session_s_token_changes_nothing(
    server: str, rest: httpx.Client, acme: tuple[httpx.Client, str], agency: tuple[httpx.Client, str]
) -> None:
    job, _, _ = sent_job(rest)
    draft, _, _ = sent_job(rest, send=False)
    tenant, _ = acme
    pages, _ = agency
    for path in (f"/ui/connector/jobs/{job}/cancel", f"/ui/connector/jobs/{draft}/send"):
        assert tenant.post(path, data={"csrf_token": "forged"}).status_code == 403
        assert tenant.post(path).status_code == 403
    assert ok(rest.get(f"/connector/jobs/{job}"))["cancel_request"] == "none"
    assert ok(rest.get(f"/connector/jobs/{draft}"))["status"] == "draft"
    xliff = pages.get(f"/ui/vendor/jobs/{job}/xliff").content
    for path in (f"/ui/vendor/jobs/{job}/accept",):
        assert pages.post(path, data={"csrf_token": "forged"}).status_code == 403
    forged = pages.post(
        f"/ui/vendor/jobs/{job}/upload",
        data={"csrf_token": "forged"},
        files={"file": ("a.xlf", filled(xliff, SPANISH))},
    )
    assert forged.status_code == 403
    assert (
        pages.post(f"/ui/vendor/jobs/{job}/upload", files={"file": ("a.xlf", filled(xliff, SPANISH))}).status_code
        == 403
    )
    vendor_job = ok(pages.get(f"/connector/vendor/jobs/{job}", headers={"Authorization": f"Bearer {AGENCY}"}))
    assert vendor_job["state"] == "received" and vendor_job["delivered_languages"] == []
    # signed out: an upload is not read at all, it is sent to sign in
    with httpx.Client(base_url=server, timeout=60) as stranger:
        answer = stranger.post(f"/ui/vendor/jobs/{job}/upload", files={"file": ("a.xlf", b"x" * 100_000)})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/signin")


def test_the_catalogue_filters_and_pages(rest: httpx.Client, acme: tuple[httpx.Client, str]) -> None:
    tenant, _ = acme
    prefix = uuid.uuid4().hex[:6]
    entities = [{"id": f"{prefix}-{n:02}", "source_language": "en", "fields": {"name": f"Item {n}"}} for n in range(60)]
    ok(rest.post("/connector/entities:import", json=entities))
    body = {"source_language": "en", "target_languages": ["ca"], "vendor": "agency", "entity_ids": [f"{prefix}-07"]}
    job = ok(rest.post("/connector/jobs", json=body), 201)["id"]
    ok(rest.post(f"/connector/jobs/{job}:send"))
    first = tenant.get("/ui/connector/entities").text
    assert "page 1 of" in first and first.count("<tr data-entity=") == 50
    in_catalan = tenant.get("/ui/connector/entities", params={"status": "in_translation", "language": "ca"}).text
    assert re.findall(r'<tr data-entity="([^"]+)"', in_catalan) == [f"{prefix}-07"]
    neither = tenant.get("/ui/connector/entities", params={"status": "untranslated", "language": "ca"}).text
    assert f"{prefix}-07" not in neither and f"{prefix}-08" in neither
    assert "Embedded catalogue" in first
    bad = tenant.get("/ui/connector/entities", params={"language": "not a language!"})
    assert bad.status_code == 200 and "The language filter is left out" in bad.text
    fragment = tenant.get("/ui/connector/entities", headers={"HX-Request": "true"}).text
    assert fragment.startswith("<section") and "Last updated" in fragment


def test_pages_ask_for_a_sign_in(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as stranger:
        for path in ("/ui/connector/entities", "/ui/connector/jobs", "/ui/vendor", f"/ui/vendor/jobs/{uuid.uuid4()}"):
            answer = stranger.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/signin"), path


ODD_IDS = ["a/../b", "a/./b", "a/b/../../x", "a%2Fb", "ä ö", "x?y#z", "c/..", "./d", "%2e%2e"]


def test_entity_ids_with_dot_segments_or_url_characters_open_their_own_page(
    rest: httpx.Client, acme: tuple[httpx.Client, str]
) -> None:
    # Given entities whose ids a URL could mistake for path steps, a query or an escape, beside the
    # entities a normalised URL would open instead
    prefix = uuid.uuid4().hex[:8]
    ids = [f"{prefix}/{odd}" for odd in ODD_IDS] + [f"{prefix}/b", f"{prefix}/x", f"{prefix}/d"]
    for entity_id in ids:
        path = "/connector/entities/" + quote(entity_id, safe="")
        ok(rest.put(path, json={"source_language": "en", "fields": {"name": f"Name of {entity_id}"}}))
        assert ok(rest.get(path))["id"] == entity_id  # the REST API reads the id back exactly
    body = {"source_language": "en", "target_languages": ["es"], "vendor": "agency", "entity_ids": ids}
    job = ok(rest.post("/connector/jobs", json=body), 201)["id"]
    tenant, _ = acme
    page = tenant.get(f"/ui/connector/jobs/{job}")
    assert page.status_code == 200, page.text
    for entity_id in ids:
        # When a browser follows the job page's link to the entity (resolving it as browsers do)
        hrefs = re.findall(r'<a href="([^"]+)">' + re.escape(html.escape(entity_id)) + "</a>", page.text)
        assert len(hrefs) == 1, entity_id
        followed = tenant.get(urljoin(str(page.url), html.unescape(hrefs[0])))
        # Then it opens that entity's page, no other
        assert followed.status_code == 200, (entity_id, followed.text[:300])
        assert f"<h1>Entity <code>{html.escape(entity_id)}</code></h1>" in followed.text
        assert html.escape(f"Name of {entity_id}") in followed.text
