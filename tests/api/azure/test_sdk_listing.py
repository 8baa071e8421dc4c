"""Listing jobs and documents through the SDK: every filter, and paging that survives concurrent starts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.azure.conftest import LISTING_KEY, STABLE_KEY, AzureServer, documents

pytestmark = pytest.mark.slow


def start_jobs(server: AzureServer, key: str, count: int, name: str) -> list[str]:
    source = documents(server, f"{name}-src", count=1)
    client = server.client(key)
    ids = []
    for number in range(count):
        target = server.url(server.root / f"{name}-out{number}")
        ids.append(client.begin_translation(server.url(source), target, "es", source_language="en").id)
    return ids


def test_job_listing_filters_and_pages(azure_server: AzureServer) -> None:
    # Given a tenant of its own with seven jobs, all finished
    started = datetime.now(UTC) - timedelta(seconds=1)
    ids = start_jobs(azure_server, LISTING_KEY, 7, "listing")
    client = azure_server.client(LISTING_KEY)
    for job_id in ids:
        client.begin_translation(continuation_token=job_id).result()
    newest_first = list(reversed(ids))
    # paging: three items a page, every job exactly once, newest first by default
    pages = client.list_translation_statuses(maxpagesize=3).by_page()
    seen = [[job.id for job in page] for page in pages]
    assert [len(page) for page in seen] == [3, 3, 1]
    assert [job_id for page in seen for job_id in page] == newest_first
    # top and skip
    assert [job.id for job in client.list_translation_statuses(top=4, skip=1, maxpagesize=2)] == newest_first[1:5]
    # ids, statuses, created range and order
    assert {job.id for job in client.list_translation_statuses(translation_ids=ids[:2])} == set(ids[:2])
    assert len(list(client.list_translation_statuses(statuses=["Succeeded"]))) == 7
    assert list(client.list_translation_statuses(statuses=["Canceled", "Failed"])) == []
    in_range = client.list_translation_statuses(created_after=started, created_before=datetime.now(UTC))
    assert len(list(in_range)) == 7
    assert list(client.list_translation_statuses(created_before=started)) == []
    ascending = [job.id for job in client.list_translation_statuses(order_by=["created_on asc"])]
    assert ascending == ids


def test_document_listing_filters_and_pages(azure_server: AzureServer) -> None:
    source = documents(azure_server, "doclist", count=2)
    client = azure_server.client()
    poller = client.begin_translation(
        azure_server.url(source), azure_server.url(azure_server.root / "doclist-out"), "es", source_language="en"
    )
    everything = list(poller.result())
    assert len(everything) == 6
    paged = [[doc.id for doc in page] for page in client.list_document_statuses(poller.id, maxpagesize=4).by_page()]
    assert [len(page) for page in paged] == [4, 2]
    assert [doc_id for page in paged for doc_id in page] == [doc.id for doc in everything]
    first_two = [doc.id for doc in everything[:2]]
    assert [d.id for d in client.list_document_statuses(poller.id, document_ids=first_two)] == first_two
    assert len(list(client.list_document_statuses(poller.id, statuses=["Succeeded"]))) == 6
    assert list(client.list_document_statuses(poller.id, statuses=["Failed"])) == []
    assert [d.id for d in client.list_document_statuses(poller.id, top=2, skip=1)] == [d.id for d in everything[1:3]]
    newest_first = [d.id for d in client.list_document_statuses(poller.id, order_by=["created_on desc"])]
    assert newest_first == [doc.id for doc in reversed(everything)]
    assert list(client.list_document_statuses(poller.id, created_after=datetime.now(UTC) + timedelta(hours=1))) == []


def test_paging_is_stable_while_jobs_are_being_started(azure_server: AzureServer) -> None:
    # Given a tenant with jobs, and another thread starting more while a client pages newest-first
    tenant_ids = start_jobs(azure_server, STABLE_KEY, 6, "stable")
    stop = threading.Event()

    def keep_starting() -> None:
        while not stop.is_set():
            start_jobs(azure_server, STABLE_KEY, 1, f"stable-more-{datetime.now().timestamp()}")

    writer = threading.Thread(target=keep_starting)
    writer.start()
    try:
        listed = [job.id for job in azure_server.client(STABLE_KEY).list_translation_statuses(maxpagesize=2)]
    finally:
        stop.set()
        writer.join()
    # Then no job is listed twice and none that existed before paging began is skipped
    assert len(listed) == len(set(listed))
    assert set(tenant_ids) <= set(listed)


def test_bad_list_parameters_are_400s_in_azures_shape(azure_server: AzureServer) -> None:
    headers = {"Ocp-Apim-Subscription-Key": "acme-secret-key"}
    base = f"{azure_server.endpoint}/translator/document/batches?api-version=2026-03-01"
    for query in ("&top=-1", "&maxpagesize=500", "&statuses=Bogus", "&orderby=name%20asc", "&$skipToken=xx"):
        response = httpx.get(base + query, headers=headers)
        assert response.status_code == 400, query
        error = response.json()["error"]
        assert error["code"] in ("InvalidArgument", "InvalidRequest") and error["innerError"]["code"], query
    assert httpx.get(base + "&$top=1&$maxpagesize=1", headers=headers).status_code == 200
