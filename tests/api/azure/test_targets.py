"""lifecycle rule 9 through the official SDK: a target is one document whatever its spelling, so two
spellings of one file can neither be two targets of a job nor be taken by a second job while the
first writes it (the 2026 review billed 40 files as 46 this way, after a SIGKILL at publication)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationTarget
from azure.core.exceptions import HttpResponseError

from tests.api.azure.conftest import GLOBEX_KEY, AzureServer, big_documents, documents

pytestmark = pytest.mark.slow

SPELLINGS = ("{out}/x.txt", "{out}//x.txt", "{out}/./x.txt", "{out}/sub/../x.txt", "{out}/%78.txt")


def one_file(server: AzureServer, source: str, target: str) -> DocumentTranslationInput:
    return DocumentTranslationInput(
        source, [TranslationTarget(target, "es")], source_language="en", storage_type="File"
    )


def test_two_spellings_of_one_target_in_one_job_are_refused(azure_server: AzureServer) -> None:
    source = documents(azure_server, "spellings-one", count=1)
    out = azure_server.url(azure_server.root / "spellings-one-out")
    client = azure_server.client()
    inputs = [
        one_file(azure_server, azure_server.url(source / "doc0.txt"), SPELLINGS[0].format(out=out)),
        one_file(azure_server, azure_server.url(source / "page0.html"), SPELLINGS[1].format(out=out)),
    ]
    with pytest.raises(HttpResponseError) as raised:
        client.begin_translation(inputs).result()
    assert raised.value.error is not None and "both be written" in str(raised.value.error.message)
    assert not (azure_server.root / "spellings-one-out").exists()


def test_a_target_being_written_cannot_be_taken_by_another_job_under_another_spelling(
    azure_server: AzureServer,
) -> None:
    # Given a job writing out/x.txt from a long document
    source = big_documents(azure_server, "spellings-two", count=1)
    out = azure_server.url(azure_server.root / "spellings-two-out")
    client, other = azure_server.client(), azure_server.client(GLOBEX_KEY)
    first = client.begin_translation(
        [one_file(azure_server, azure_server.url(source / "doc00.txt"), SPELLINGS[0].format(out=out))]
    )
    # When other jobs, of this tenant and another, name the same file under other spellings
    for spelling in SPELLINGS[1:]:
        for who in (client, other):
            # Then each is refused: the whole job while the target is being written; once it has been
            # written, the document alone (as the service fails an occupied target)
            assert (
                refusal(who, azure_server, source / "doc00.txt", spelling.format(out=out)) == "TargetFileAlreadyExists"
            )
    # and the first job wrote it once, billed once
    results = list(first.result())
    assert [doc.status for doc in results] == ["Succeeded"]
    status = client.get_translation_status(first.id)
    assert status.total_characters_charged == results[0].characters_charged > 0
    assert sorted(path.name for path in (azure_server.root / "spellings-two-out").iterdir()) == ["x.txt"]


def refusal(client: DocumentTranslationClient, server: AzureServer, source: Path, target: str) -> str:
    """The code a one-document job to `target` is refused with: its own, or its document's."""
    poller = client.begin_translation([one_file(server, server.url(source), target)])
    try:
        [document] = list(poller.result())
    except HttpResponseError as exc:
        assert exc.error is not None
        return str(exc.error.code)
    assert document.status == "Failed" and document.characters_charged == 0
    return str(document.error.code)
