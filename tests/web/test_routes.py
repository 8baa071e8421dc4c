"""The dashboard over HTTP, against a real `dragoman serve` (its runner runs the jobs): sign-in, what
a tenant sees, filters and paging, and cancel with its consequences and its real outcome. Jobs are
submitted by a second Dragoman on the same state database, as the command line would."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dragoman.config import Settings
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.service import Dragoman
from dragoman.storage.local import path_to_url
from tests.conftest import wait_terminal
from tests.processes import environment, serving

ACME, GLOBEX = "acme-dashboard-key", "globex-dashboard-key"


TENANTS = {"acme": {"azure_keys": [ACME]}, "globex": {"azure_keys": [GLOBEX]}}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Dragoman, httpx.Client, Path]]:
    docs = tmp_path / "docs"
    docs.mkdir()
    tenants = {name: {**table, "roots": [str(docs)]} for name, table in TENANTS.items()}
    env = environment(tmp_path / "data", [docs], workers=1, DRAGOMAN_TENANTS=json.dumps(tenants))
    with serving(env, tmp_path / "serve.log") as url:
        settings = Settings(data_dir=tmp_path / "data", roots=[docs], tenants=tenants)  # type: ignore[arg-type]
        with Dragoman.from_settings(settings) as service, httpx.Client(base_url=url, timeout=30) as client:
            yield service, client, docs


def signed_in(client: httpx.Client, key: str) -> str:
    """Sign `client` in with `key`; the page's CSRF token."""
    page = client.get("/ui/signin")
    token = csrf_of(page.text)
    answer = client.post(
        "/ui/signin", data={"key": key, "csrf_token": token, "next": "/ui/jobs"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/ui/jobs").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def submit(
    service: Dragoman, docs: Path, tenant: str, names: list[str], *, held: bool = False, name: str | None = None
) -> str:
    tasks = []
    for file_name in names:
        source = docs / file_name
        if not source.exists():
            source.write_text("The cat is black.\n\nI like dogs.\n")
        tasks.append(TaskSpec(path_to_url(source), path_to_url(docs / f"out-{tenant}" / file_name), "en", "es"))
    return service.submit(JobSpec(tenant, tasks, name=name), held=held).job.id


def test_pages_ask_for_a_sign_in_and_a_wrong_key_is_refused(world: tuple[Dragoman, httpx.Client, Path]) -> None:
    _, client, _ = world
    answer = client.get("/ui/jobs", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/signin")
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui/jobs"
    page = client.get("/ui/signin")
    refused = client.post("/ui/signin", data={"key": "not-a-key", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 401 and "not known" in refused.text
    forged = client.post("/ui/signin", data={"key": ACME, "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403  # a sign-in form from another site is refused too
    # htmx asks for a fragment: told where to sign in, by header
    assert client.get("/ui/jobs", headers={"HX-Request": "true"}).headers["HX-Redirect"].startswith("/ui/signin")


def test_a_tenant_sees_and_cancels_only_its_own_jobs(world: tuple[Dragoman, httpx.Client, Path]) -> None:
    service, client, docs = world
    mine = submit(service, docs, "acme", ["a.txt"], held=True, name="acme report")
    theirs = submit(service, docs, "globex", ["b.txt"], held=True, name="globex secret")
    token = signed_in(client, ACME)
    listing = client.get("/ui/jobs").text
    assert mine[:8] in listing and "acme report" in listing
    assert theirs[:8] not in listing and "globex secret" not in listing
    assert client.get(f"/ui/jobs/{theirs}").status_code == 404  # by URL too
    assert client.get(f"/ui/jobs/{theirs}/cancel").status_code == 404
    assert client.post(f"/ui/jobs/{theirs}/cancel", data={"csrf_token": token}).status_code == 404
    assert not service.get(theirs).job.cancel_requested


def test_a_cancel_without_the_session_s_token_changes_nothing(world: tuple[Dragoman, httpx.Client, Path]) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt"], held=True)
    signed_in(client, ACME)
    assert client.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": "forged"}).status_code == 403
    assert client.post(f"/ui/jobs/{job}/cancel").status_code == 403
    assert not service.get(job).job.cancel_requested


def test_the_confirmation_says_what_a_cancel_will_do_and_the_result_what_it_did(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt", "b.txt", "c.txt"], held=True)  # held: nothing runs
    token = signed_in(client, ACME)
    page = client.get(f"/ui/jobs/{job}").text
    assert 'id="cancel-button"' in page
    dialog = client.get(f"/ui/jobs/{job}/cancel", headers={"HX-Request": "true"}).text
    assert "3 waiting will be dropped and are free" in dialog
    assert "0 finished stay, billed 0 characters" in dialog
    result = client.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": token}, headers={"HX-Request": "true"}).text
    assert "Cancelled." in result and "3 cancelled, free" in result
    view = service.get(job)
    assert view.summary.cancelled == 3 and view.status.value == "cancelled"
    assert 'id="cancel-button"' not in client.get(f"/ui/jobs/{job}").text  # no longer cancellable


def test_a_cancel_of_a_job_that_finished_meanwhile_shows_the_lost_race(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt"])
    token = signed_in(client, ACME)
    wait_terminal(service, job)
    billed = service.get(job).summary.characters_charged
    result = client.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert result.status_code == 200
    assert "Lost the race." in result.text and f"1 finished stay, billed {billed} characters" in result.text
    assert service.get(job).status.value == "succeeded"


def test_filters_and_paging(world: tuple[Dragoman, httpx.Client, Path]) -> None:
    service, client, docs = world
    ids = [submit(service, docs, "acme", [f"d{n}.txt"], held=True, name=f"batch {n}") for n in range(30)]
    done = submit(service, docs, "acme", ["z.txt"], name="finished one")
    wait_terminal(service, done)
    signed_in(client, ACME)
    first = client.get("/ui/jobs").text
    shown = re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', first)
    assert len(shown) == 25 and shown[0] == done  # newest first
    older = re.search(r'href="/ui/jobs\?([^"]*after=[^"]+)"', first)
    assert older is not None
    second = client.get(f"/ui/jobs?{older.group(1).replace('&amp;', '&')}").text
    rest = re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', second)
    assert len(rest) == 6 and not set(rest) & set(shown)  # every job once, none twice
    assert set(shown) | set(rest) == {*ids, done}
    succeeded = re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', client.get("/ui/jobs?status=succeeded").text)
    assert succeeded == [done]
    assert re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', client.get("/ui/jobs?q=finished").text) == [done]
    assert re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', client.get(f"/ui/jobs?q={ids[3][:8]}").text) == [ids[3]]
    assert re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', client.get("/ui/jobs?language=ca").text) == []
    assert len(re.findall(r'href="/ui/jobs/([0-9a-f-]{36})"', client.get("/ui/jobs?door=aws").text)) == 0
    assert "Command line" in client.get("/ui/jobs?door=cli").text


def test_a_job_page_shows_its_moments_documents_and_the_billed_characters(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt", "b.txt"])
    signed_in(client, ACME)
    view = wait_terminal(service, job)
    page = client.get(f"/ui/jobs/{job}").text
    assert "succeeded" in page and f'<span id="billed">{view.summary.characters_charged}</span>' in page
    assert "Started</dt><dd><time>" in page and "Finished</dt><dd><time>" in page
    assert page.count('<tr class="status-succeeded">') == 2
    assert "hx-trigger" not in page.split('id="job"')[1].split(">")[0]  # an ended job is not polled


def test_a_signed_out_session_and_a_session_whose_key_was_taken_away_open_nothing(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt"], held=True)
    token = signed_in(client, ACME)
    stolen = dict(client.cookies)  # a copy of the cookie, as a replay would use it
    assert client.post("/ui/signout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    with httpx.Client(base_url=str(client.base_url), cookies=stolen) as replay:
        assert replay.get("/ui/jobs", follow_redirects=False).status_code == 303  # to the sign-in
        assert replay.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": token}).status_code in (303, 401, 403)
    assert not service.get(job).job.cancel_requested


def test_wrong_keys_are_refused_after_ten_a_minute(world: tuple[Dragoman, httpx.Client, Path]) -> None:
    _, client, _ = world
    token = csrf_of(client.get("/ui/signin").text)
    answers = [
        client.post("/ui/signin", data={"key": f"guess-{n}", "csrf_token": token}).status_code for n in range(11)
    ]
    assert answers[:10] == [401] * 10 and answers[10] == 429
    refused = client.post("/ui/signin", data={"key": ACME, "csrf_token": token})
    assert refused.status_code == 429 and "Too many wrong keys" in refused.text  # even the right one, for a minute


def test_unreadable_filters_and_page_links_are_said_and_ignored_and_errors_are_pages(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt"], held=True)
    signed_in(client, ACME)
    page = client.get("/ui/jobs?after=0001-01-01T00:00:00%2B14:00|x&status=nope&from=2026-13-45&door=fax")
    assert page.status_code == 200 and job[:8] in page.text
    assert "Ignored: status &#39;nope&#39;; front door &#39;fax&#39;; date &#39;2026-13-45&#39;" in page.text
    assert "a page link that could not be read" in page.text
    missing = client.get("/ui/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "There is no such page." in missing.text and "frame-ancestors" in missing.headers["content-security-policy"]


def test_cancel_works_without_javascript_and_a_second_cancel_says_the_first_was_accepted(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    job = submit(service, docs, "acme", ["a.txt", "b.txt"], held=True)
    token = signed_in(client, ACME)
    assert f'href="/ui/jobs/{job}/cancel"' in client.get(f"/ui/jobs/{job}").text  # a link, not a script
    confirmation = client.get(f"/ui/jobs/{job}/cancel")  # a page of its own
    assert confirmation.status_code == 200 and "<h1>Cancel job" in confirmation.text
    assert "2 waiting will be dropped and are free" in confirmation.text
    done = client.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": token})
    assert done.status_code == 200 and "Cancelled." in done.text and "2 cancelled, free" in done.text
    again = client.post(f"/ui/jobs/{job}/cancel", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert "Cancelled." in again.text and "a cancel was accepted before this one" in again.text
    assert "Lost the race" not in again.text


def test_a_finished_document_s_translation_downloads_and_documents_filter_by_status(
    world: tuple[Dragoman, httpx.Client, Path],
) -> None:
    service, client, docs = world
    (docs / "bad.txt").write_bytes(b"\x00\x01binary")
    job = submit(service, docs, "acme", ["a.txt", "bad.txt"])
    signed_in(client, ACME)
    wait_terminal(service, job)
    [done] = [task for task in service.tasks(job) if task.status.value == "succeeded"]
    page = client.get(f"/ui/jobs/{job}").text
    link = f"/ui/jobs/{job}/tasks/{done.id}/output"
    assert link in page
    download = client.get(link)
    assert download.status_code == 200 and download.text == (docs / "out-acme" / "a.txt").read_text()
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''a.txt"
    failed_only = client.get(f"/ui/jobs/{job}?status=failed").text
    assert failed_only.count('<tr class="status-failed">') == 1 and 'class="status-succeeded"' not in failed_only
    assert client.get(f"/ui/jobs/{job}?page=50").status_code == 200  # a page past the end: the last one
