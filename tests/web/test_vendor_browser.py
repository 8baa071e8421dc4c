"""The connector's pages in a real headless browser (Debian's chromium, driven by Playwright) against a
real `dragoman serve` whose receiver polls the vendors (every 0.5 s) and leaves imports to review: a
tenant sends entities to a human vendor through the REST API, as its PIM would; the agency signs in,
downloads the XLIFF from its page, fills the targets with translate-toolkit (its CAT tool), has an
unfilled file refused with every problem listed, uploads the translation through the page's form;
the tenant's pages show the job delivered, import it, and show the entities Translated. Then two
cancellation requests from the tenant's page: one the agency refuses, one it approves, each shown
on both sides. A screenshot of each page is kept in test-artifacts/screenshots."""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from translate.storage import factory

from tests.processes import environment, serving
from tests.web.test_browser import CHROMIUM_FLAGS, SCREENSHOTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium (make test installs it)"),
]

ACME, AGENCY = "acme-vendor-browser-key", "agency-vendor-browser-key"
SPANISH = {"Red chair": "Silla roja", "A chair to sit on.": "Una silla para sentarse.", "Desk lamp": "Lámpara"}


@dataclass
class World:
    url: str
    browser: Browser
    files: Path

    def rest(self) -> httpx.Client:
        """The tenant's PIM, on the REST API."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ACME}"}, timeout=60)

    def send(self, name: str) -> tuple[str, list[str]]:
        """A job of two fresh entities into Spanish for the agency, sent through the REST API: (job id, entities)."""
        prefix = uuid.uuid4().hex[:6]
        entities = {
            f"{prefix}-chair": {"name": "Red chair", "description": "A chair to sit on."},
            f"{prefix}-lamp": {"name": "Desk lamp"},
        }
        with self.rest() as rest:
            for entity, fields in entities.items():
                answer = rest.put(f"/connector/entities/{entity}", json={"source_language": "en", "fields": fields})
                assert answer.status_code == 200, answer.text
            body = {"name": name, "source_language": "en", "target_languages": ["es"], "vendor": "agency",
                    "entity_ids": list(entities)}  # fmt: skip
            job = rest.post("/connector/jobs", json=body)
            assert job.status_code == 201, job.text
            job_id = str(job.json()["id"])
            assert rest.post(f"/connector/jobs/{job_id}:send").json()["status"] == "sent"
        return job_id, list(entities)

    def page(self, key: str, start: str) -> Page:
        """A new browser context (its own cookies) at `start`, signed in with `key` on the way."""
        page = self.browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True).new_page()
        page.goto(f"{self.url}{start}")
        expect(page).to_have_url(re.compile(r"/ui/signin"))
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        return page


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "docs").mkdir()
    (tmp_path / "files").mkdir()
    env = environment(
        tmp_path / "data",
        [tmp_path / "docs"],
        workers=1,
        DRAGOMAN_TENANTS=json.dumps({"acme": {"azure_keys": [ACME]}}),
        DRAGOMAN_CONNECTOR_VENDORS=json.dumps({"agency": {"kind": "human", "keys": [AGENCY]}}),
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0.5",
        DRAGOMAN_CONNECTOR_IMPORT="review",
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(env, tmp_path / "serve.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        try:
            yield World(url, browser, tmp_path / "files")
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def filled(data: bytes) -> bytes:
    """The agency's CAT tool: every unit's target filled (translate-toolkit)."""
    store = factory.getobject(io.BytesIO(data))
    for unit in store.units:
        if not unit.isheader():
            unit.target = SPANISH[unit.source]
    return bytes(store)


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def unlabelled(page: Page) -> Any:
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    )


def test_the_agency_translates_through_its_page_and_the_tenant_imports(world: World) -> None:
    job_id, entities = world.send("spring catalogue")
    # the agency signs in and finds the job
    agency = world.page(AGENCY, "/ui/vendor")
    expect(agency).to_have_url(re.compile(r"/ui/vendor$"))
    row = agency.locator(f'tr[data-job="{job_id}"]')
    expect(row).to_contain_text("received")
    shot(agency, "vendor-jobs")
    row.get_by_role("link").click()
    expect(agency.locator("#vendor-state")).to_have_text("received")
    assert unlabelled(agency) == []
    reached = set()
    for _ in range(40):  # every control of the page takes the focus by keyboard
        agency.keyboard.press("Tab")
        reached.add(agency.evaluate("() => document.activeElement && document.activeElement.id"))
    assert {"download-es-12", "download-es-20", "file", "upload-button", "answer-accept"} <= reached
    shot(agency, "vendor-job")
    # it downloads the XLIFF 1.2 file
    with agency.expect_download() as download:
        agency.get_by_role("link", name="en → es, XLIFF 1.2 (default)").click()
    original = Path(download.value.path()).read_bytes()
    assert b'version="1.2"' in original and b"Red chair" in original
    # a file without targets is refused, every problem listed, nothing changed
    blank = world.files / "blank.xlf"
    blank.write_bytes(original)
    agency.get_by_label("Translated XLIFF file (one target language)").set_input_files(str(blank))
    agency.get_by_role("button", name="Upload").click()
    expect(agency.locator("#notice")).to_contain_text("The file is refused (3 problems); nothing was changed.")
    expect(agency.locator("#problems li")).to_have_count(3)
    expect(agency.locator("#delivered")).to_have_text("none yet")
    shot(agency, "vendor-upload-refused")
    # the translated file is taken: the job is delivered
    translated = world.files / f"{job_id}.es.xlf"
    translated.write_bytes(filled(original))
    agency.get_by_label("Translated XLIFF file (one target language)").set_input_files(str(translated))
    agency.get_by_role("button", name="Upload").click()
    expect(agency.locator("#notice")).to_contain_text("the job is delivered")
    expect(agency.locator("#vendor-state")).to_have_text("delivered")
    expect(agency.locator("#units")).to_contain_text("Silla roja")
    shot(agency, "vendor-job-delivered")

    # the tenant sees the job delivered (the receiver polled the vendor), and imports it
    tenant = world.page(ACME, "/ui/connector/jobs")
    expect(tenant).to_have_url(re.compile(r"/ui/connector/jobs$"))
    expect(tenant.locator(f'tr[data-job="{job_id}"]')).to_contain_text("ready for import", timeout=15_000)
    shot(tenant, "connector-jobs")
    tenant.locator(f'tr[data-job="{job_id}"]').get_by_role("link").click()
    expect(tenant.locator("#job-status")).to_have_text("ready for import")
    expect(tenant.locator('[aria-current="step"]')).to_have_text("ready for import")
    tenant.get_by_role("button", name="Import").click()
    expect(tenant.locator("#notice")).to_contain_text("The job is imported: 2 items imported, 0 failed.")
    expect(tenant.locator("#job-status")).to_have_text("imported")
    expect(tenant.locator("#items .item-imported")).to_have_count(2)
    shot(tenant, "connector-job-imported")
    # its entities are Translated, in the matrix and on their own page
    nav(tenant, "Catalogue")
    for entity in entities:
        expect(tenant.locator(f'tr[data-entity="{entity}"] td[data-language="es"]')).to_have_text("Translated")
    assert unlabelled(tenant) == []
    shot(tenant, "connector-entities")
    tenant.get_by_role("link", name=entities[0]).click()
    expect(tenant.locator("#translated")).to_have_text("es")
    expect(tenant.locator("#languages")).to_contain_text("Silla roja")
    shot(tenant, "connector-entity")
    # an edit of the source marks the language out of date
    with world.rest() as rest:
        fields = {"name": "Blue chair", "description": "A chair to sit on."}
        assert rest.put(f"/connector/entities/{entities[0]}", json={"source_language": "en", "fields": fields})
    nav(tenant, "Catalogue")
    cell = tenant.locator(f'tr[data-entity="{entities[0]}"] td[data-language="es"]')
    expect(cell).to_have_text("Translated, out of date (name)")
    expect(cell).to_have_attribute("title", "changed since the last import: name")
    shot(tenant, "connector-entities-out-of-date")


def test_a_cancellation_the_agency_refuses_and_one_it_approves(world: World) -> None:
    refused, refused_entities = world.send("refused cancel")
    approved, _ = world.send("approved cancel")
    tenant = world.page(ACME, f"/ui/connector/jobs/{refused}")
    agency = world.page(AGENCY, f"/ui/vendor/jobs/{refused}")
    for job_id, answer, status, words in (
        (refused, "Refuse the cancellation: work has started", "in production", "refused by the vendor"),
        (approved, "Approve the cancellation", "cancelled", "approved by the vendor"),
    ):
        # the tenant asks the vendor to cancel from the job's page
        tenant.goto(f"{world.url}/ui/connector/jobs/{job_id}")
        expect(tenant.locator("#cancel-explanation")).to_contain_text("it decides, and refuses if work has started")
        tenant.get_by_role("button", name="Request cancellation from the vendor").click()
        expect(tenant.locator("#notice")).to_contain_text("Cancellation requested from agency")
        expect(tenant.locator("#cancel-request")).to_have_attribute("data-state", "requested")
        shot(tenant, f"connector-job-cancel-requested-{status.replace(' ', '-')}")
        # the agency sees the request on its page (polled), and answers it
        agency.goto(f"{world.url}/ui/vendor/jobs/{job_id}")
        expect(agency.locator("#cancel-asked")).to_have_text("The client asks you to cancel this job.")
        shot(agency, f"vendor-cancel-request-{status.replace(' ', '-')}")
        agency.get_by_role("button", name=answer).click()
        expect(agency.locator("#vendor-cancel")).to_have_attribute(
            "data-state", "refused" if job_id == refused else "approved"
        )
        shot(agency, f"vendor-cancel-{'refused' if job_id == refused else 'approved'}")
        # the tenant's page shows the answer by itself (the receiver polls the vendor, the page polls)
        expect(tenant.locator("#cancel-request")).to_contain_text(words, timeout=15_000)
        expect(tenant.locator("#job-status")).to_have_text(status)
        expect(tenant.get_by_role("button", name="Request cancellation from the vendor")).to_have_count(0)
        shot(tenant, f"connector-job-cancel-{'refused' if job_id == refused else 'approved'}")
    # the refused job goes on: its entities stay In translation; the approved one's are free again
    nav(tenant, "Catalogue")
    expect(tenant.locator(f'tr[data-entity="{refused_entities[0]}"] td[data-language="es"]')).to_have_text(
        "In translation"
    )
    agency.goto(f"{world.url}/ui/vendor")
    expect(agency.locator(f'tr[data-job="{approved}"]')).to_contain_text("cancelled")
    expect(agency.locator(f'tr[data-job="{refused}"]')).to_contain_text("in production")
    shot(agency, "vendor-jobs-after-cancels")
