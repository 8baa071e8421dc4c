"""The dashboard in a real headless browser (Debian's chromium, driven by Playwright) against a real
`dragoman serve`, with jobs submitted through the official Azure SDK: a job appears and progresses
live, is cancelled from its page after a confirmation in numbers, and the page shows what the
cancel did; a job that ends while the confirmation is open shows the lost race; a tenant sees
nothing of another's. A screenshot of each page is kept in test-artifacts/screenshots."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dragoman.storage.local import path_to_url
from tests.conftest import ENGLISH_PARAGRAPHS
from tests.processes import environment, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium (make test installs it)"),
]

ACME, GLOBEX = "acme-browser-key", "globex-browser-key"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class World:
    url: str
    docs: Path
    browser: Browser

    def client(self, key: str = ACME) -> DocumentTranslationClient:
        return DocumentTranslationClient(self.url, AzureKeyCredential(key))

    def documents(self, name: str, count: int, paragraphs: int) -> Path:
        folder = self.docs / name
        folder.mkdir()
        text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) for _ in range(paragraphs))
        for number in range(count):
            (folder / f"doc{number:02}.txt").write_text(text)
        return folder

    def start(self, name: str, count: int, paragraphs: int, key: str = ACME) -> str:
        """A job through the Azure SDK, as a customer starts one; its id."""
        source = self.documents(name, count, paragraphs)
        target = self.docs / f"{name}-es"
        target.mkdir()
        with self.client(key) as client:
            poller = client.begin_translation(path_to_url(source), path_to_url(target), "es", source_language="en")
            return str(poller.id)

    def status(self, job_id: str, key: str = ACME) -> str:
        with self.client(key) as client:
            return str(client.get_translation_status(job_id)["status"])  # as the wire says it

    def page(self, key: str = ACME, *, bypass_csp: bool = False) -> Page:
        """A new browser context (its own cookies) signed in with `key`; with `bypass_csp`, one in
        which a test may inject its own script (axe) despite the pages' Content Security Policy."""
        page = self.browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp).new_page()
        page.goto(f"{self.url}/ui/jobs")
        expect(page).to_have_url(re.compile(r"/ui/signin"))
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/ui/jobs$"))
        return page


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    docs = tmp_path / "docs"
    docs.mkdir()
    tenants = {
        "acme": {"azure_keys": [ACME], "roots": [str(docs)]},
        "globex": {"azure_keys": [GLOBEX], "roots": [str(docs)]},
    }
    env = environment(tmp_path / "data", [docs], workers=1, DRAGOMAN_TENANTS=json.dumps(tenants))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(env, tmp_path / "serve.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        try:
            yield World(url, docs, browser)
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def counter(page: Page) -> tuple[int, int, int]:
    """(succeeded, cancelled, total) as the job page shows them now."""
    text = page.locator("#counters").inner_text()
    found = re.match(r"(\d+): (\d+) succeeded, \d+ failed, (\d+) cancelled", text)
    assert found is not None, text
    return int(found.group(2)), int(found.group(3)), int(found.group(1))


def test_a_job_from_the_azure_sdk_progresses_live_and_is_cancelled_from_its_page(world: World) -> None:
    job_id = world.start("live", count=60, paragraphs=200)  # about 2.6 MB: half a minute or more
    page = world.page()
    row = page.locator(f'a[href="/ui/jobs/{job_id}"]')
    expect(row).to_be_visible(timeout=10_000)  # it appears in the list (polled)
    shot(page, "jobs")
    row.click()
    expect(page.locator("#job-status")).to_have_text(re.compile("running|waiting"), timeout=10_000)
    expect(page.locator("#job")).to_contain_text("Azure: ")
    first = counter(page)[0]
    deadline = time.monotonic() + 60
    while counter(page)[0] <= first:  # the page updates by itself while documents finish
        assert time.monotonic() < deadline, "the page did not update"
        page.wait_for_timeout(200)
    shot(page, "job-running")
    page.get_by_role("button", name="Cancel job…").click()
    dialog = page.locator("#cancel-dialog")
    expect(dialog).to_contain_text(re.compile(r"\d+ waiting will be dropped and are free"))
    expect(dialog).to_contain_text(re.compile(r"\d+ finished stay, billed \d+ characters"))
    shot(page, "cancel-confirmation")
    page.get_by_role("button", name="Cancel the job").click()
    result = page.locator("#cancel-result")
    expect(result).to_contain_text(re.compile(r"^\s*(Cancelled|Cancelling)\."))
    expect(page.locator("#job-status")).to_have_text("cancelled", timeout=30_000)
    shot(page, "job-cancelled")
    succeeded, cancelled, total = counter(page)
    assert 0 < succeeded < total and succeeded + cancelled == total  # nothing failed
    assert world.status(job_id) in ("Cancelled", "Canceled")  # the SDK spells its enum "Canceled"
    # what the result said is what the store holds
    kept = re.search(r"(\d+) finished stay, billed (\d+) characters", result.inner_text())
    assert kept is not None and int(kept.group(1)) <= succeeded
    expect(page.get_by_role("button", name="Cancel job…")).to_have_count(0)  # nothing left to cancel


def test_a_job_that_ends_while_the_confirmation_is_open_shows_the_lost_race(world: World) -> None:
    job_id = world.start("race", count=3, paragraphs=300)  # a few seconds
    page = world.page()
    page.goto(f"{world.url}/ui/jobs/{job_id}")
    page.get_by_role("button", name="Cancel job…").click()
    expect(page.locator("#cancel-dialog")).to_be_visible()
    deadline = time.monotonic() + 120
    while (status := world.status(job_id)) != "Succeeded":  # the job ends while the person reads the confirmation
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    # the confirmation follows the job: within a second it says the race was lost, or, when the
    # person confirmed before it did, the cancel's answer says so
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_role("button", name="Cancel the job").click(timeout=300)
    expect(page.locator("#cancel-result")).to_contain_text("Lost the race.")
    expect(page.locator("#cancel-result")).to_contain_text("3 finished stay")
    shot(page, "cancel-lost-race")
    assert world.status(job_id) == "Succeeded"


def test_a_tenant_sees_nothing_of_another_s_jobs_even_by_url(world: World) -> None:
    theirs = world.start("globex", count=1, paragraphs=1, key=GLOBEX)
    page = world.page(ACME)
    expect(page.locator("#jobs")).not_to_contain_text(theirs[:8])
    answer = page.goto(f"{world.url}/ui/jobs/{theirs}")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Job not found")
    shot(page, "not-found")


def test_every_control_is_reachable_by_keyboard_and_labelled(world: World) -> None:
    world.start("keys", count=1, paragraphs=1)
    page = world.page()
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    )
    assert unlabeled == []
    reached = set()
    for _ in range(60):  # Tab through the page: every link, field and button takes the focus
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 60)"))
    controls = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')]
              .filter(e => e.offsetParent !== null).length"""
    )
    assert len(reached) >= min(controls, 55)


AXE = Path(__file__).resolve().parents[2] / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core from npm (make test installs it)")
def test_axe_finds_no_serious_accessibility_fault_on_any_page(world: World) -> None:
    job_id = world.start("axe", count=1, paragraphs=1)
    page = world.page(bypass_csp=True)
    faults: dict[str, list[str]] = {}
    for path in ("/ui/jobs", f"/ui/jobs/{job_id}", "/ui/jobs?status=succeeded&q=zzz"):
        page.goto(f"{world.url}{path}")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
        )
        if found:
            faults[path] = found
    signin = world.browser.new_page(bypass_csp=True)
    signin.goto(f"{world.url}/ui/signin")
    signin.add_script_tag(path=str(AXE))
    found = signin.evaluate(
        """async () => (await axe.run()).violations
             .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"""
    )
    if found:
        faults["/ui/signin"] = found
    assert faults == {}


def test_the_pages_run_within_their_content_security_policy(world: World) -> None:
    job_id = world.start("policy", count=1, paragraphs=1)
    page = world.page()
    console: list[str] = []  # a script or style the policy blocked would say so here
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.goto(f"{world.url}/ui/jobs/{job_id}")
    page.wait_for_timeout(1500)  # a poll or two
    page.goto(f"{world.url}/ui/jobs")
    page.wait_for_timeout(3500)
    assert console == []


def test_the_confirmation_is_kept_by_keyboard_and_escape_closes_it(world: World) -> None:
    job_id = world.start("escape", count=20, paragraphs=300)  # long enough to stay cancellable
    page = world.page()
    page.goto(f"{world.url}/ui/jobs/{job_id}")
    page.get_by_role("button", name="Cancel job…").click()
    expect(page.locator("#cancel-dialog")).to_be_visible()
    # Enter on the confirmation's first focus keeps the job running (htmx focuses it once it settles)
    expect(page.locator("#keep-running")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#cancel-dialog")).to_have_count(0)
    expect(page.locator("#cancel-button")).to_be_focused()
    assert world.status(job_id) in ("NotStarted", "Running")
    page.set_viewport_size({"width": 400, "height": 800})
    scrolls = page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not scrolls  # a narrow screen scrolls the tables, not the page
    shot(page, "job-narrow")
