"""Issue 10 §4, through boto3 (and once the AWS CLI) against a real `dragoman serve` and a real S3
server: which files an Amazon job translates (by ContentType, not by name), regional target codes in
names and echoes, Message on every ended job, display languages, and messages in the client's words."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.api.aws.s3world import ACCESS_KEY, ACCOUNT, AZURE_KEY, SECRET, World, serve_world, start, wait_done
from tests.conftest import ENGLISH_PARAGRAPHS

pytestmark = pytest.mark.slow

AWS = str(Path(sys.executable).parent / "aws")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serve_world(tmp_path_factory.mktemp("s3-inputs")) as served:
        yield served


def put(world: World, bucket: str, objects: dict[str, bytes]) -> None:
    world.s3.create_bucket(Bucket=bucket)
    for key, body in objects.items():
        world.s3.put_object(Bucket=bucket, Key=key, Body=body)


def read(world: World, bucket: str, key: str) -> bytes:
    data: bytes = world.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def keys(world: World, bucket: str, prefix: str) -> set[str]:
    listed = world.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"].removeprefix(prefix) for item in listed}


def output_prefix(job_id: str, folder: str = "out/") -> str:
    return f"{folder}{ACCOUNT}-TranslateText-{job_id}/"


def test_a_text_plain_job_translates_every_file_whatever_its_name(world: World) -> None:
    # Given subtitles, JSON and a file with no extension, all plain text
    put(world, "plain", {
        "in/episode.srt": b"1\n00:00:01,000 --> 00:00:02,000\nThe cat is black.\n",
        "in/episode.json": b'{"line": "I like dogs."}\n',
        "in/notes": b"The house is red.\n",
    })  # fmt: skip
    # When a text/plain job runs over the folder
    job_id = start(world, "plain")
    properties = wait_done(world, job_id)
    # Then all three are translated (Amazon selects by ContentType) and named <lang>.<file name>
    assert properties["JobStatus"] == "COMPLETED", properties
    assert properties["JobDetails"]["InputDocumentsCount"] == 3
    prefix = output_prefix(job_id)
    assert {"es.episode.srt", "es.episode.json", "es.notes"} <= keys(world, "plain", prefix)
    assert "El gato es negro." in read(world, "plain", prefix + "es.episode.srt").decode()
    assert "00:00:01,000 --> 00:00:02,000" in read(world, "plain", prefix + "es.episode.srt").decode()
    assert read(world, "plain", prefix + "es.notes") == b"La casa es roja.\n"
    assert world.s3.head_object(Bucket="plain", Key=prefix + "es.notes")["ContentType"] == "text/plain"


def test_a_text_html_job_translates_htm_xhtml_and_unnamed_files_as_html(world: World) -> None:
    page = b"<html><body><p>The cat is <b>black</b>.</p></body></html>"
    put(world, "html", {"in/a.htm": page, "in/b.xhtml": page, "in/c": page})
    job_id = start(world, "html", content_type="text/html")
    properties = wait_done(world, job_id)
    assert properties["JobStatus"] == "COMPLETED", properties
    prefix = output_prefix(job_id)
    for name in ("es.a.htm", "es.b.xhtml", "es.c"):
        assert "<b>negro</b>" in read(world, "html", prefix + name).decode()  # read as HTML, not as text


def test_an_xliff_job_fills_the_targets_and_unknown_content_types_are_refused(world: World) -> None:
    # Given an XLIFF file (Amazon's ContentType application/x-xliff+xml)
    unit = '<trans-unit id="1"><source>The cat is <g id="1">black</g>.</source></trans-unit>'
    put(world, "xliff", {"in/a.xlf": (
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        f'<file original="a" source-language="en" datatype="plaintext"><body>{unit}</body></file></xliff>'
    ).encode()})  # fmt: skip
    # When a job of that ContentType runs
    job_id = start(world, "xliff", content_type="application/x-xliff+xml")
    properties = wait_done(world, job_id)
    # Then its target is filled, its inline code kept
    assert properties["JobStatus"] == "COMPLETED", properties
    out = read(world, "xliff", output_prefix(job_id) + "es.a.xlf").decode()
    assert '<target state="translated">El gato es <g id="1">negro</g>.</target>' in out
    assert 'target-language="es"' in out
    # and a ContentType no format reads is refused up front
    with pytest.raises(world.translate.exceptions.InvalidRequestException):
        start(world, "xliff", content_type="application/pdf")


def test_regional_target_codes_name_outputs_and_details_and_are_echoed(world: World) -> None:
    put(world, "regional", {"in/note.txt": b"The cat is black.\n"})
    # Given one job into Spanish and Mexican Spanish (the same engine pair serves both)
    job_id = start(world, "regional", targets=("es", "es-MX"))
    properties = wait_done(world, job_id)
    assert properties["JobStatus"] == "COMPLETED" and properties["TargetLanguageCodes"] == ["es", "es-MX"]
    prefix = output_prefix(job_id)
    written = keys(world, "regional", prefix)
    assert {"es.note.txt", "es-MX.note.txt"} <= written
    assert {"details/es.auxiliary-translation-details.json", "details/es-MX.auxiliary-translation-details.json"} <= (
        written
    )
    assert read(world, "regional", prefix + "es-MX.note.txt") == b"El gato es negro.\n"
    details = json.loads(read(world, "regional", prefix + "details/es-MX.auxiliary-translation-details.json"))
    assert details["targetLanguageCode"] == "es-MX"
    assert [entry["targetFile"] for entry in details["details"]] == ["es-MX.note.txt"]
    # TranslateText echoes the code it was given
    answer = world.translate.translate_text(Text="I like dogs.", SourceLanguageCode="en", TargetLanguageCode="es-MX")
    assert answer["TargetLanguageCode"] == "es-MX" and answer["SourceLanguageCode"] == "en"
    assert answer["TranslatedText"] == "Me gustan los perros."


def test_the_aws_cli_echoes_a_regional_target_code(world: World) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [AWS, "translate", "translate-text", "--endpoint-url", world.endpoint, "--output", "json"]
    command += ["--text", "Good morning", "--source-language-code", "auto", "--target-language-code", "es-MX"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer == {"TranslatedText": "Buenos días", "SourceLanguageCode": "en", "TargetLanguageCode": "es-MX"}


def test_a_job_whose_every_document_failed_and_a_stopped_job_carry_a_message(world: World) -> None:
    # Given a job whose only documents cannot be read as text (not UTF-8), and a job stopped half way
    put(world, "allfail", {"in/a.txt": b"\xff\xfe\xfa not text \x80\x81", "in/b.txt": b"\x80\x81\x82"})
    failed_id = start(world, "allfail")
    failed = wait_done(world, failed_id)
    text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 3 for _ in range(12)).encode()
    put(world, "tostop", {f"in/doc{number:02}.txt": text for number in range(20)})
    stopped_id = start(world, "tostop")
    world.translate.stop_text_translation_job(JobId=stopped_id)
    stopped = wait_done(world, stopped_id)
    # Then Describe and List say why they ended, in the client's words
    assert failed["JobStatus"] == "FAILED" and failed["JobDetails"]["DocumentsWithErrorsCount"] == 2
    assert "None of the job's 2 document translations succeeded" in failed["Message"]
    assert stopped["JobStatus"] == "STOPPED" and "stopped" in stopped["Message"]
    for status, job_id in (("FAILED", failed_id), ("STOPPED", stopped_id)):
        listed = world.translate.list_text_translation_jobs(Filter={"JobStatus": status})
        [job] = [job for job in listed["TextTranslationJobPropertiesList"] if job["JobId"] == job_id]
        assert job["Message"] and "auto" not in job["Message"]
    # A stop of an ended job is refused naming the job as the client knows it
    with pytest.raises(world.translate.exceptions.InvalidRequestException) as refused:
        world.translate.stop_text_translation_job(JobId=failed_id)
    message = refused.value.response["Error"]["Message"]
    assert failed_id in message and "FAILED" in message and "-" not in message.split()[1]


def test_list_languages_answers_in_every_modeled_display_language(world: World) -> None:
    spanish = {}
    for display in ("de", "en", "es", "fr", "it", "ja", "ko", "pt", "zh", "zh-TW"):
        answer = world.translate.list_languages(DisplayLanguageCode=display)
        assert answer["DisplayLanguageCode"] == display
        names = {language["LanguageCode"]: language["LanguageName"] for language in answer["Languages"]}
        assert {"en", "es", "ca"} <= set(names)
        spanish[display] = names["es"]
    assert spanish["en"] == "Spanish" and spanish["de"] == "Spanisch" and spanish["es"] == "español"
    assert len(set(spanish.values())) >= 8  # named in each language, not English everywhere


def test_input_in_a_details_folder_fails_the_job_saying_why(world: World) -> None:
    put(world, "details", {"in/a.txt": b"The cat is black.\n", "in/details/b.txt": b"I like dogs.\n"})
    job_id = start(world, "details")
    properties = wait_done(world, job_id)
    assert properties["JobStatus"] == "FAILED"
    assert "details" in properties["Message"] and "details/b.txt" in properties["Message"]
    assert keys(world, "details", "out/") == set()  # nothing was written


def test_a_job_whose_output_lies_inside_its_input_never_translates_outputs(world: World) -> None:
    # Given an output prefix inside the input prefix
    put(world, "overlap", {"data/a.txt": b"The cat is black.\n", "data/.write_access_check_file.temp": b""})
    first = start(world, "overlap", input_prefix="data/", output_prefix="data/out/")
    assert wait_done(world, first)["JobDetails"]["InputDocumentsCount"] == 1  # the hidden probe is no document
    # When the same job runs again over the same input
    second = start(world, "overlap", input_prefix="data/", output_prefix="data/out/")
    properties = wait_done(world, second)
    # Then the first job's outputs (and details files) are not inputs of the second
    assert properties["JobStatus"] == "COMPLETED" and properties["JobDetails"]["InputDocumentsCount"] == 1
    assert keys(world, "overlap", output_prefix(second, "data/out/")) == {
        "es.a.txt",
        "details/es.auxiliary-translation-details.json",
    }


def test_no_message_of_either_front_door_names_auto_when_no_source_was_given(world: World) -> None:
    put(world, "nofrench", {"in/a.txt": b"The cat is black.\n"})
    # Amazon: auto into a language no engine writes
    with pytest.raises(world.translate.exceptions.UnsupportedLanguagePairException):
        start(world, "nofrench", source="auto", targets=("fr",))
    # Azure: no source language, into French
    source = "s3://nofrench/in/"
    with DocumentTranslationClient(world.endpoint, AzureKeyCredential(AZURE_KEY)) as client:
        try:
            poller = client.begin_translation(source, "s3://nofrench/fr/", "fr", polling_interval=0.2)
            poller.result()
            error = poller.details.error
            message = "" if error is None else str(error.message)
        except HttpResponseError as exc:
            message = str(exc.message)
    assert "fr" in message and "auto" not in message, message
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and keys(world, "nofrench", "fr/"):
        time.sleep(0.1)
    assert keys(world, "nofrench", "fr/") == set()


def test_a_document_whose_name_makes_no_valid_output_fails_alone(world: World) -> None:
    # Red team, issue 10: one long or odd key failed the whole job with no documents
    long_name = "L" * 1000 + ".txt"  # a valid input key; its output key would pass S3's 1024 bytes
    put(world, "oddnames", {
        "in/a.txt": b"The cat is black.\n",
        f"in/{long_name}": b"I like dogs.\n",
        "in/sp ace/ tab\t.txt": b"The house is red.\n",
    })  # fmt: skip
    job_id = start(world, "oddnames")
    properties = wait_done(world, job_id)
    assert properties["JobStatus"] == "COMPLETED_WITH_ERROR", properties
    assert properties["JobDetails"]["InputDocumentsCount"] == 3
    assert properties["JobDetails"]["TranslatedDocumentsCount"] == 1
    assert properties["JobDetails"]["DocumentsWithErrorsCount"] == 2
    prefix = output_prefix(job_id)
    assert read(world, "oddnames", prefix + "es.a.txt") == b"El gato es negro.\n"
    details = json.loads(read(world, "oddnames", prefix + "details/es.auxiliary-translation-details.json"))
    errors = {entry["sourceFile"]: entry["auxiliaryData"].get("error") for entry in details["details"]}
    assert errors["a.txt"] is None and errors[long_name] is not None and errors["sp ace/ tab\t.txt"] is not None
    assert "1024" in errors[long_name]["errorMessage"]
