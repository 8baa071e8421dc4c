"""`dragoman connector ...`: the content connector from the command line, as the command line's
tenant (`default`, the tenant the REST API's default key reaches too).

    dragoman connector entities put ID --lang en --field name="The red house" ...
    dragoman connector entities show|list|import FILE|export [--format json|csv]
    dragoman connector jobs create --name N --from en --to es --to ca [--vendor local] ENTITY...
    dragoman connector jobs send|cancel|poll [--wait]|import|resubmit|show ID
    dragoman connector jobs list
    dragoman connector sources list|sync NAME [--full]
    dragoman connector rules list|run NAME

Job ids are taken whole or as an unambiguous prefix of 8 or more characters. `--json` prints the
REST API's documents (`connector/documents.py`). Exit codes are the CLI's: 2 bad input, 3 unknown
entity, job, source system or rule, 4 refused in the job's state (or a rule another process runs
now), 6 a source system that could not be reached or answered an error. Nothing heavy is imported
until a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dragoman.cli.app import EXIT_CANCELLED_HERE, app, errors, fail, open_service, print_wrapped, stdout
from dragoman.cli.connector_vendor import vendor_app
from dragoman.cli.output import print_json
from dragoman.errors import Invalid, NotFound, ServiceError

if TYPE_CHECKING:
    from dragoman.connector.service import Connector
    from dragoman.connector.store import ConnectorJob, Entity
    from dragoman.service import Dragoman

__all__ = ["connector_app", "entities_app", "jobs_app", "rules_app", "sources_app"]

_CONTEXT = {"help_option_names": ["-h", "--help"]}
_MIN_PREFIX = 8

connector_app = typer.Typer(
    no_args_is_help=True,
    context_settings=_CONTEXT,
    help="The content connector: catalogue entities sent to translation vendors, and their language status.",
)
entities_app = typer.Typer(
    no_args_is_help=True, context_settings=_CONTEXT, help="Create, show, list, import and export entities."
)
jobs_app = typer.Typer(
    no_args_is_help=True,
    context_settings=_CONTEXT,
    help="Create, send, cancel, poll, import, resubmit, show and list connector jobs.",
)
sources_app = typer.Typer(
    no_args_is_help=True, context_settings=_CONTEXT, help="Source systems (a CMS, a PIM): list them, sync one."
)
rules_app = typer.Typer(
    no_args_is_help=True, context_settings=_CONTEXT, help="Automatic sending rules: list them, run one now."
)
connector_app.add_typer(entities_app, name="entities")
connector_app.add_typer(jobs_app, name="jobs")
connector_app.add_typer(sources_app, name="sources")
connector_app.add_typer(rules_app, name="rules")
connector_app.add_typer(vendor_app, name="vendor")  # a translation agency's side (cli/connector_vendor.py)
app.add_typer(connector_app, name="connector")

AsJson = Annotated[bool, typer.Option("--json", help="Print the REST API's JSON document instead.")]
EntityId = Annotated[str, typer.Argument(help="The entity's id in its source system.", metavar="ID")]
JobId = Annotated[
    str, typer.Argument(help="The job's id, or its first 8 or more characters.", metavar="JOB_ID", show_default=False)
]
Format = Annotated[str, typer.Option("--format", help="json or csv.", metavar="FORMAT")]
Offset = Annotated[int, typer.Option(min=0, help="How many to skip.", metavar="N")]
Limit = Annotated[int, typer.Option(min=1, max=1000, help="How many at most.", metavar="N")]


def _open(*, with_runner: bool = False) -> tuple[Dragoman, Connector]:
    try:
        service = open_service(with_runner=with_runner)
    except ServiceError as exc:
        raise fail(exc) from None
    return service, service.connector


def _tenant() -> str:
    from dragoman.planning import CLI_TENANT

    return CLI_TENANT


# --- entities ---------------------------------------------------------------------------------


@entities_app.command("put")
def entities_put(
    entity_id: EntityId,
    lang: Annotated[str, typer.Option("--lang", "-l", help="The entity's source language.", metavar="LANG")],
    field: Annotated[
        list[str] | None,
        typer.Option("--field", "-f", help="A field as NAME=TEXT; repeat for each field.", metavar="NAME=TEXT"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create or update an entity: its source language and every field (the fields given replace
    the entity's; its revision moves when they change)."""
    fields: dict[str, str] = {}
    for given in field or []:
        name, equals, text = given.partition("=")
        if not equals or not name:
            raise fail(Invalid(f"--field {given!r} is not NAME=TEXT"))
        if name in fields:
            raise fail(Invalid(f"--field {name} is given twice"))
        fields[name] = text
    _, connector = _open()
    try:
        entity = connector.put_entity(_tenant(), entity_id, lang, fields)
    except ServiceError as exc:
        raise fail(exc) from None
    _print_entity(entity, as_json)


@entities_app.command("show")
def entities_show(entity_id: EntityId, as_json: AsJson = False) -> None:
    """An entity: its fields, revision, translations per language, and its language sets."""
    _, connector = _open()
    try:
        entity = connector.store.entity(_tenant(), entity_id)
    except ServiceError as exc:
        raise fail(exc) from None
    _print_entity(entity, as_json)


def _print_entity(entity: Entity, as_json: bool) -> None:
    from dragoman.connector.documents import entity_document

    if as_json:
        print_json(entity_document(entity))
        return
    _say(f"entity {entity.id} ({entity.source_language}, revision {entity.revision})")
    _say(f"  {_sets(entity)}")
    for name, text in entity.fields.items():
        _say(f"  {name}: {text}")
    for target, values in sorted(entity.translations.items()):
        for name, text in values.items():
            _say(f"  {name} [{target}]: {text}")


def _sets(entity: Entity) -> str:
    return (
        f"in translation: {', '.join(sorted(entity.in_translation)) or '-'} · "
        f"translated: {', '.join(sorted(entity.translated)) or '-'}"
    )


@entities_app.command("list")
def entities_list(offset: Offset = 0, limit: Limit = 50, as_json: AsJson = False) -> None:
    """Entities by id, with their language sets."""
    from dragoman.connector.documents import entity_page

    _, connector = _open()
    try:
        entities, total = connector.store.entity_page(_tenant(), offset, limit)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(entity_page(entities, total, offset, limit))
        return
    for entity in entities:
        fields = f"{len(entity.fields)} fields"
        _say(f"{entity.id}  {entity.source_language}  rev {entity.revision}  {fields}  {_sets(entity)}")
    _say(f"{len(entities)} of {total} entities" + (f", from the {offset + 1}th" if offset else ""))


@entities_app.command("import")
def entities_import(
    file: Annotated[Path, typer.Argument(help="A .json or .csv file; - reads stdin.", metavar="FILE")],
    format_name: Annotated[
        str | None, typer.Option("--format", help="json or csv (default: the file's extension).", metavar="FORMAT")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create or update entities from a JSON array or a CSV file (header: id, source_language, then
    one column per field). The file is checked whole before anything is written."""
    chosen = format_name or file.suffix.lower().lstrip(".")
    if chosen not in ("json", "csv"):
        raise fail(Invalid(f"cannot tell the format of {file}: name a .json or .csv file, or give --format"))
    try:
        data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise fail(Invalid(f"{file} cannot be read: {exc.strerror}")) from None
    from dragoman.connector import transfer

    _, connector = _open()
    try:
        report = transfer.import_entities(connector, _tenant(), transfer.parse(data, chosen))
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(report.document())
        return
    _say(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


@entities_app.command("export")
def entities_export(
    format_name: Format = "json",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).", metavar="FILE")
    ] = None,
) -> None:
    """Every entity, as JSON (whole: fields, translations, language sets) or CSV (one row each;
    `<field>@<language>` columns hold the translations)."""
    from dragoman.connector import transfer

    if format_name not in transfer.FORMATS:
        raise fail(Invalid(f"--format {format_name!r}: use json or csv"))
    _, connector = _open()
    try:
        entities = connector.store.entities(_tenant())
    except ServiceError as exc:
        raise fail(exc) from None
    data = transfer.export_json(entities) + b"\n" if format_name == "json" else transfer.export_csv(entities)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(Invalid(f"{out} cannot be written: {exc.strerror}")) from None
    errors.print(f"{len(entities)} entities written to {out}", highlight=False, markup=False)


# --- jobs -------------------------------------------------------------------------------------


def _job_id(connector: Connector, text: str) -> str:
    """The id of the job `text` names, whole or by a prefix. Raises NotFound, Invalid (an empty id,
    as `dragoman jobs show ""`: exit 2)."""
    given = text.strip()
    if not given:
        raise Invalid("the connector job id is empty: give a job's id, or 8 or more of its first characters")
    try:
        return connector.store.job(_tenant(), given).id
    except NotFound:
        pass
    if len(given) < _MIN_PREFIX:
        raise NotFound(f"connector job {given} not found (give its id, or 8 or more of its first characters)")
    found = connector.store.job_ids_starting_with(_tenant(), given.lower(), limit=11)
    if not found:
        raise NotFound(f"connector job {given} not found")
    if len(found) > 1:
        raise Invalid(f"{given!r} is the start of several job ids: {', '.join(found[:10])}; give more of it")
    return found[0]


def _print_job(connector: Connector, job: ConnectorJob, as_json: bool, *, details: bool = False) -> None:
    """A job: its headline, and with `details` its header, items and each entity's language sets."""
    from dragoman.connector.documents import entity_document, job_document

    entity_ids = list(dict.fromkeys(item.entity for item in job.items))
    entities: list[Entity] = []
    if details:
        for entity_id in entity_ids:
            try:
                entities.append(connector.store.entity(_tenant(), entity_id))
            except NotFound:
                continue
    if as_json:
        if details:
            print_json({"job": job_document(job), "entities": [entity_document(entity) for entity in entities]})
        else:
            print_json(job_document(job))
        return
    _say(_headline(job))
    if not details:
        return
    _say(f"  name: {job.name} · {job.source_language} -> {', '.join(job.target_languages)} · vendor {job.vendor}")
    if job.vendor_ref:
        _say(f"  vendor's job: {job.vendor_ref}")
    if job.due_at:
        _say(f"  due: {job.due_at.isoformat()}Z")
    if job.instructions:
        _say(f"  instructions: {job.instructions}")
    if job.error:
        _say(f"  last send failed: {job.error}")
    if job.resubmits:
        _say(f"  resubmits job {job.resubmits}")
    _say("items:")
    for item in job.items:
        line = f"  {item.entity} -> {item.language}  {item.status}  fields: {', '.join(item.fields)}"
        _say(line + (f"  error: {item.error}" if item.error else ""))
    _say("language sets:")
    for entity in entities:
        _say(f"  {entity.id}: {_sets(entity)}")


def _headline(job: ConnectorJob) -> str:
    from dragoman.connector.lifecycle import actions

    counts: dict[str, int] = {}
    for item in job.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    summary = ", ".join(f"{number} {status}" for status, number in counts.items())
    request = f" · cancel request {job.cancel_request.value}" if job.cancel_request.value != "none" else ""
    can = ", ".join(sorted(action.value for action in actions(job.status, job.cancel_request))) or "nothing"
    return f"connector job {job.id}: {job.status.value}{request} · {len(job.items)} items ({summary}) · next: {can}"


@jobs_app.command("create")
def jobs_create(
    entities: Annotated[list[str], typer.Argument(help="The entities to translate.", metavar="ENTITY...")],
    source: Annotated[str, typer.Option("--from", help="Their source language.", metavar="LANG")],
    targets: Annotated[list[str], typer.Option("--to", help="A target language; repeat for several.", metavar="LANG")],
    name: Annotated[str, typer.Option(help="The job's name.", metavar="NAME")] = "",
    vendor: Annotated[
        str, typer.Option(help="Who translates it: local (Dragoman's own engine).", metavar="VENDOR")
    ] = "local",
    instructions: Annotated[str, typer.Option(help="Instructions for the vendor.", metavar="TEXT")] = "",
    due: Annotated[str | None, typer.Option(help="Due date, ISO 8601 (UTC when no offset).", metavar="WHEN")] = None,
    send: Annotated[bool, typer.Option("--send", help="Send it at once.")] = False,
    as_json: AsJson = False,
) -> None:
    """A draft job: for each entity and target language, the fields changed since their last import
    into it (a language with nothing to send is left out for that entity)."""
    from datetime import UTC, datetime

    due_at = None
    if due is not None:
        try:
            due_at = datetime.fromisoformat(due)
            if due_at.tzinfo is not None:
                due_at = due_at.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise fail(Invalid(f"--due {due!r} is not an ISO 8601 date (2026-05-01 or 2026-05-01T17:00)")) from None
    service, connector = _open()
    try:
        job = connector.create_job(
            _tenant(), name, source, targets, vendor, entities, instructions=instructions, due_at=due_at
        )
        if send:
            job = connector.send(_tenant(), job.id)
    except ServiceError as exc:
        raise fail(exc) from None
    _print_job(connector, job, as_json)


def _act(job_id: str, action: str, as_json: bool) -> None:
    _, connector = _open()
    try:
        resolved = _job_id(connector, job_id)
        job = getattr(connector, action)(_tenant(), resolved)
    except ServiceError as exc:
        raise fail(exc) from None
    _print_job(connector, job, as_json)


@jobs_app.command("send")
def jobs_send(job_id: JobId, as_json: AsJson = False) -> None:
    """Send a draft (or retry a failed send) to its vendor."""
    _act(job_id, "send", as_json)


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobId, as_json: AsJson = False) -> None:
    """Cancel a job. Before or while sending it is cancelled at once; once sent, the vendor is asked,
    and its answer (approved, or refused because work started) comes with a later poll."""
    _act(job_id, "cancel", as_json)


@jobs_app.command("import")
def jobs_import(job_id: JobId, as_json: AsJson = False) -> None:
    """Import a delivered job into its entities: each item once; failed items are listed."""
    _act(job_id, "import_job", as_json)


@jobs_app.command("resubmit")
def jobs_resubmit(job_id: JobId, as_json: AsJson = False) -> None:
    """A new draft for a cancelled job (or one whose cancel was refused), linked to it."""
    _act(job_id, "resubmit", as_json)


@jobs_app.command("poll")
def jobs_poll(
    job_id: JobId,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Poll until the vendor delivers or cancels, running the local vendor's translations here "
            "meanwhile. Ctrl-C stops waiting.",
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Ask the vendor where a sent job stands: a cancel request's answer, work started, delivery."""
    from dragoman.connector.lifecycle import ConnectorJobStatus as S

    service, connector = _open(with_runner=wait)
    try:
        resolved = _job_id(connector, job_id)
        job = connector.poll(_tenant(), resolved)
        if wait and job.status in (S.SENT, S.IN_PRODUCTION):
            service.start()
            try:
                while job.status in (S.SENT, S.IN_PRODUCTION):
                    service.wait_for_progress(0.5)
                    job = connector.poll(_tenant(), resolved)
            except KeyboardInterrupt:
                errors.print(f"stopped waiting; job {resolved} is {job.status.value}", markup=False, highlight=False)
                raise typer.Exit(EXIT_CANCELLED_HERE) from None
            finally:
                service.close()
    except ServiceError as exc:
        raise fail(exc) from None
    _print_job(connector, job, as_json)


@jobs_app.command("show")
def jobs_show(job_id: JobId, as_json: AsJson = False) -> None:
    """A job, each of its items (entity, language, status, fields, why its import failed) and each
    entity's language sets."""
    _, connector = _open()
    try:
        job = connector.store.job(_tenant(), _job_id(connector, job_id))
    except ServiceError as exc:
        raise fail(exc) from None
    _print_job(connector, job, as_json, details=True)


@jobs_app.command("list")
def jobs_list(offset: Offset = 0, limit: Limit = 20, as_json: AsJson = False) -> None:
    """Connector jobs, newest first."""
    from dragoman.connector.documents import job_page

    _, connector = _open()
    try:
        jobs, total = connector.store.job_page(_tenant(), offset, limit)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(job_page(jobs, total, offset, limit))
        return
    for job in jobs:
        _say(_headline(job))
        _say(f"  {job.name} · {job.source_language} -> {', '.join(job.target_languages)} · {job.vendor} · "
             f"created {job.created_at.strftime('%Y-%m-%d %H:%M:%S')} UTC")  # fmt: skip
    _say(f"{len(jobs)} of {total} connector jobs")


# --- source systems and automatic sending ---------------------------------------------------


@sources_app.command("list")
def sources_list(as_json: AsJson = False) -> None:
    """The source systems DRAGOMAN_CONNECTOR_SOURCES gives the command line's tenant, and where each
    one's last sync reached."""
    from dragoman.connector.documents import source_document

    _, connector = _open()
    try:
        synced = connector.store.sync_states(_tenant())
    except ServiceError as exc:
        raise fail(exc) from None
    found = []
    for name, source in sorted(connector.sources.items()):
        if source.tenant == _tenant():
            cursor, at = synced.get(name, (None, None))
            found.append(source_document(name, source.kind, cursor, at))
    if as_json:
        print_json({"sources": found})
        return
    for document in found:
        last = (
            f"last sync {document['synced_at']}, cursor {document['cursor']}"
            if document["synced_at"]
            else "never synced"
        )
        _say(f"{document['name']}  {document['kind']}  {last}")
    _say(f"{len(found)} source systems")


@sources_app.command("sync")
def sources_sync(
    name: Annotated[str, typer.Argument(help="The source system's name.", metavar="NAME")],
    full: Annotated[bool, typer.Option("--full", help="Read every entity, not only those changed since.")] = False,
    as_json: AsJson = False,
) -> None:
    """Read the entities the source system changed since its last sync (every one with --full).
    Exit code 6 when it cannot be reached or answers an error: what was read stays; sync again."""
    from dragoman.connector.documents import sync_document

    _, connector = _open()
    try:
        report = connector.sync(_tenant(), name, full=full)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(sync_document(report))
        return
    _say(f"source {name}: {report.read} entities read, {report.changed} new or changed; cursor {report.cursor}")


@rules_app.command("list")
def rules_list(as_json: AsJson = False) -> None:
    """The automatic sending rules DRAGOMAN_CONNECTOR_RULES gives the command line's tenant, with
    their latest run."""
    from dragoman.connector import sender
    from dragoman.connector.documents import rule_document

    service, _ = _open()
    try:
        rules = sender.for_service(service).rules_of(_tenant())
    except ServiceError as exc:
        raise fail(exc) from None
    documents = [rule_document(name, rule, state) for name, rule, state in rules]
    if as_json:
        print_json({"rules": documents})
        return
    for document in documents:
        chosen = document["select"]
        selects = chosen if isinstance(chosen, str) else f"{chosen['field']} = {chosen['equals']!r}"
        source = document["source"] or "the catalogue"
        _say(f"{document['name']}  {selects} of {source}  {document['source_language']} -> "
             f"{', '.join(document['target_languages'])}  vendor {document['vendor']}  "
             f"every {document['every_seconds']:g} s")  # fmt: skip
        if document["last_run_at"]:
            _say(f"  last run {document['last_run_at']}: {document['outcome']}")
        else:
            _say("  never run")
    _say(f"{len(documents)} rules")


@rules_app.command("run")
def rules_run(
    name: Annotated[str, typer.Argument(help="The rule's name.", metavar="NAME")],
    as_json: AsJson = False,
) -> None:
    """Run a rule now: sync its source system (if it has one), create one job for what it selects and
    send it (nothing selected: no job)."""
    from dragoman.connector import sender
    from dragoman.connector.documents import rule_run_document

    service, connector = _open()
    try:
        run = sender.for_service(service).run(_tenant(), name)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(rule_run_document(run))
        return
    if run.synced is not None:
        _say(f"source {run.synced.source}: {run.synced.read} entities read, {run.synced.changed} new or changed")
    _say(f"rule {name}: {run.outcome}")
    if run.job is not None:
        _say(_headline(run.job))


def _say(text: str) -> None:
    print_wrapped(stdout, text)
