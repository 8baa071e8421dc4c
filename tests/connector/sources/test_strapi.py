"""The connector over a real Strapi 5 CMS (started by the test): products read from Strapi,
translated by the local vendor (Dragoman's own batch jobs with Apertium), and written back into
Strapi per locale, localized fields only; an editor's change made after a job was created is
flagged as a conflict and never overwritten."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.errors import Conflict, NotFound, SourceSystemError
from dragoman.service import Dragoman
from tests.conftest import wait_for
from tests.strapi_server import Strapi, running_strapi

S = ConnectorJobStatus
TENANT = "default"


@pytest.fixture(scope="module")
def strapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Strapi]:
    with running_strapi(tmp_path_factory.mktemp("strapi")) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, strapi: Strapi) -> Iterator[Dragoman]:
    settings = Settings(
        data_dir=tmp_path / "data", roots=[tmp_path / "docs"], workers=2,
        connector_sources={"cms": strapi.source_table()},
    )  # fmt: skip
    with Dragoman.from_settings(settings, with_runner=True) as running:
        yield running


def delivered(connector: Connector, job_id: str) -> ConnectorJob:
    wait_for(lambda: connector.poll(TENANT, job_id).status is S.READY_FOR_IMPORT, timeout=90)
    return connector.store.job(TENANT, job_id)


def test_products_are_read_translated_and_written_back_per_locale(service: Dragoman, strapi: Strapi) -> None:
    connector = service.connector
    chair = strapi.create(sku="CH-1", title="The red house", description="I like dogs.")
    table = strapi.create(sku="TB-2", title="The cat is black.")
    report = connector.sync(TENANT, "cms", full=True)
    assert report.read >= 2 and report.cursor is not None
    entity = connector.store.entity(TENANT, chair["documentId"])
    assert entity.source == "cms" and entity.revision == chair["updatedAt"]
    assert dict(entity.fields) == {"title": "The red house", "description": "I like dogs."}  # localized fields only
    ids = [chair["documentId"], table["documentId"]]
    job = connector.create_job(TENANT, "spring", "en", ["es", "ca"], "local", ids)
    assert len(job.items) == 4 and all(item.target_revision is None for item in job.items)  # no es/ca versions yet
    connector.send(TENANT, job.id)
    delivered(connector, job.id)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED, [item.error for item in imported.items]
    spanish = strapi.get(chair["documentId"], "es")
    assert spanish is not None and spanish["title"] == "La casa roja"
    assert spanish["description"] == "Me gustan los perros."
    assert spanish["sku"] == "CH-1"  # not localized: never written, still shared
    catalan = strapi.get(table["documentId"], "ca")
    assert catalan is not None and catalan["title"] == "El gat és negre."
    english = strapi.get(chair["documentId"], "en")
    assert english is not None and english["title"] == "The red house"  # the source is untouched
    assert connector.store.entity(TENANT, chair["documentId"]).translated == {"es", "ca"}
    # An entity read from Strapi is changed in Strapi, not through the catalogue
    with pytest.raises(Conflict, match="source system 'cms'"):
        connector.put_entity(TENANT, chair["documentId"], "en", {"title": "x"})
    # A source edit in Strapi: the next sync reads only what changed since, and only that field is sent
    strapi.update(chair["documentId"], "en", description="The cat is black.")
    again = connector.sync(TENANT, "cms")
    assert again.changed == 1, again
    second = connector.create_job(TENANT, "fix", "en", ["es"], "local", [chair["documentId"]])
    assert [set(item.fields) for item in second.items] == [{"description"}]
    assert second.items[0].target_revision == spanish["updatedAt"]  # the es version as it was when frozen
    connector.send(TENANT, second.id)
    delivered(connector, second.id)
    assert connector.import_job(TENANT, second.id).status is S.IMPORTED
    spanish = strapi.get(chair["documentId"], "es")
    assert spanish is not None and spanish["description"] == "El gato es negro."
    assert spanish["title"] == "La casa roja"  # the other field is left as it was


def test_an_editors_change_after_the_job_was_made_is_a_conflict_and_is_kept(service: Dragoman, strapi: Strapi) -> None:
    connector = service.connector
    lamp = strapi.create(sku="LA-3", title="The red house")
    strapi.update(lamp["documentId"], "es", title="Casa roja (borrador)")  # an es version exists already
    connector.sync(TENANT, "cms", full=True)
    job = connector.create_job(TENANT, "lamp", "en", ["es", "ca"], "local", [lamp["documentId"]])
    connector.send(TENANT, job.id)
    # While the job is out, an editor rewrites the Spanish title by hand
    strapi.update(lamp["documentId"], "es", title="La casa roja, a mano")
    delivered(connector, job.id)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED_WITH_ERRORS
    items = {item.language: item for item in imported.items}
    assert items["es"].status == ItemStatus.FAILED and items["es"].error is not None
    assert items["es"].error.startswith("conflict:") and "es version was changed" in items["es"].error
    assert items["ca"].status == ItemStatus.IMPORTED
    spanish = strapi.get(lamp["documentId"], "es")
    assert spanish is not None and spanish["title"] == "La casa roja, a mano"  # not overwritten
    catalan = strapi.get(lamp["documentId"], "ca")
    assert catalan is not None and catalan["title"] == "La casa vermella"
    entity = connector.store.entity(TENANT, lamp["documentId"])
    assert entity.translated == {"ca"} and entity.in_translation == frozenset()


def test_an_import_that_stopped_after_writing_is_finished_without_a_false_conflict(
    service: Dragoman, strapi: Strapi
) -> None:
    connector = service.connector
    sofa = strapi.create(sku="SO-4", title="The cat is black.")
    connector.sync(TENANT, "cms", full=True)
    job = connector.create_job(TENANT, "sofa", "en", ["es"], "local", [sofa["documentId"]])
    connector.send(TENANT, job.id)
    delivered(connector, job.id)
    # The write reached Strapi, then the process died before recording it: replay exactly that write
    ref = connector.store.job(TENANT, job.id).vendor_ref
    assert ref is not None
    deliveries = connector.vendors["local"].deliveries(TENANT, ref, job)
    (item,) = job.items
    fields = deliveries[item.id].fields
    assert fields is not None
    connector.source(TENANT, "cms").write(sofa["documentId"], "es", fields)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED, [i.error for i in imported.items]
    spanish = strapi.get(sofa["documentId"], "es")
    assert spanish is not None and spanish["title"] == "El gato es negro."


def test_an_unreachable_or_refusing_strapi_is_named_and_changes_nothing(tmp_path: Path, strapi: Strapi) -> None:
    from tests.processes import free_port

    sources = {
        "down": strapi.source_table(url=f"http://127.0.0.1:{free_port()}", timeout_seconds=2),
        "badkey": strapi.source_table(token="not-a-token"),
    }
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], connector_sources=sources)
    with Dragoman.from_settings(settings) as service:
        connector = service.connector
        with pytest.raises(SourceSystemError, match="'down' .*could not be reached") as down:
            connector.sync(TENANT, "down")
        assert strapi.token not in str(down.value)
        with pytest.raises(SourceSystemError, match="'badkey' answered 401") as refused:
            connector.sync(TENANT, "badkey")
        assert "not-a-token" not in str(refused.value)
        with pytest.raises(NotFound):
            connector.sync(TENANT, "nowhere")
        with pytest.raises(NotFound):
            connector.sync("other-tenant", "down")  # a source belongs to one tenant
        assert connector.store.entity_page(TENANT)[1] == 0
        assert connector.store.sync_cursor(TENANT, "down") is None


def test_a_product_deleted_in_strapi_while_its_job_was_out_fails_alone(service: Dragoman, strapi: Strapi) -> None:
    """The whole import used to stop at it, for good: the job stuck, cancel refused, entities in translation."""
    connector = service.connector
    keep = strapi.create(sku="K-1", title="The red house")
    doomed = strapi.create(sku="D-1", title="The cat is black.")
    connector.sync(TENANT, "cms", full=True)
    job = connector.create_job(TENANT, "doomed", "en", ["es"], "local", [keep["documentId"], doomed["documentId"]])
    connector.send(TENANT, job.id)
    delivered(connector, job.id)
    with strapi.client() as client:
        assert client.delete(f"/api/products/{doomed['documentId']}", params={"locale": "*"}).status_code in (200, 204)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED_WITH_ERRORS
    items = {item.entity: item for item in imported.items}
    assert items[keep["documentId"]].status == ItemStatus.IMPORTED
    assert items[doomed["documentId"]].status == ItemStatus.FAILED
    assert "no longer has entity" in (items[doomed["documentId"]].error or "")
    spanish = strapi.get(keep["documentId"], "es")
    assert spanish is not None and spanish["title"] == "La casa roja"
    assert connector.store.entity(TENANT, doomed["documentId"]).in_translation == frozenset()
