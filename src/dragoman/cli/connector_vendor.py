"""`dragoman connector vendor ...`: a translation agency's side of a `human` vendor, from the command
line, on the local state folder like the rest of `dragoman connector`.

    dragoman connector vendor list [--vendor NAME]
    dragoman connector vendor show|accept|approve-cancel|refuse-cancel ID [--vendor NAME]
    dragoman connector vendor download ID [--language LANG] [--xliff-version 2.0] [-o FILE]
    dragoman connector vendor upload ID FILE

Who acts: the human vendor `--vendor` names (or DRAGOMAN_VENDOR; either may be left out when one human
vendor is configured). Whoever runs these commands can read the state folder, and so every vendor's
queue already: the command line takes no key, as `dragoman connector` takes no tenant key; the REST API
(`/connector/vendor/...`) is where an agency's own key is checked. Job ids are whole. `--json` prints
the REST API's documents. Exit codes are the CLI's: 2 bad input (a refused upload, listing every
problem), 3 unknown vendor or job, 4 refused in the job's state.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dragoman.cli.app import errors, fail, open_service, print_wrapped, stdout
from dragoman.cli.output import print_json
from dragoman.errors import Invalid, NotFound, ServiceError

if TYPE_CHECKING:
    from dragoman.connector.vendors.human import HumanVendor
    from dragoman.connector.vendors.human_store import QueuedJob

__all__ = ["vendor_app"]

vendor_app = typer.Typer(
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="A translation agency's queue (a human vendor): list, download XLIFF, accept, upload, answer cancels.",
)

VendorName = Annotated[
    str | None,
    typer.Option(
        "--vendor",
        envvar="DRAGOMAN_VENDOR",
        help="The human vendor acting (default: the only one configured).",
        metavar="NAME",
        show_default=False,
    ),
]
JobId = Annotated[str, typer.Argument(help="The job's id.", metavar="ID", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print the REST API's JSON document instead.")]


def _agency(name: str | None) -> tuple[HumanVendor, int]:
    """The vendor acting, and the most bytes an upload may hold. Exits 3 for no such human vendor."""
    from dragoman.connector.vendors.human import HumanVendor, human_vendor

    try:
        service = open_service()
        vendors = service.connector.vendors
        if name is None:
            humans = sorted(key for key, value in vendors.items() if isinstance(value, HumanVendor))
            if len(humans) != 1:
                configured = f"configured: {', '.join(humans)}" if humans else "none is configured"
                raise NotFound(f"name the human vendor acting with --vendor ({configured})")
            name = humans[0]
        return human_vendor(vendors, name), service.settings.max_request_bytes_connector
    except ServiceError as exc:
        raise fail(exc) from None


def _show(job: QueuedJob, as_json: bool) -> None:
    from dragoman.connector.vendors.human import agency_document

    document = agency_document(job)
    if as_json:
        print_json(document)
        return
    request = f" · cancel request {document['cancel_request']}" if document["cancel_request"] != "none" else ""
    delivered = ", ".join(document["delivered_languages"]) or "-"
    _say(
        f"vendor job {job.job_id}: {document['state']}{request} · {job.source_language} -> "
        f"{', '.join(job.target_languages)} (delivered: {delivered}) · {document['counts']['units']} units · "
        f"next: {', '.join(document['actions']) or 'nothing'}"
    )


def _say(text: str) -> None:
    print_wrapped(stdout, text)


@vendor_app.command("list")
def vendor_list(
    vendor: VendorName = None,
    offset: Annotated[int, typer.Option(min=0, help="How many to skip.", metavar="N")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many at most.", metavar="N")] = 20,
    as_json: AsJson = False,
) -> None:
    """The vendor's jobs, newest first."""
    from dragoman.connector.vendors.human import agency_document

    agency, _ = _agency(vendor)
    try:
        jobs, total = agency.jobs(offset, limit)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json({"jobs": [agency_document(job) for job in jobs], "total": total, "offset": offset, "limit": limit})
        return
    for job in jobs:
        _show(job, False)
        due = f" · due {job.due_at.isoformat()}Z" if job.due_at else ""
        _say(f"  {job.name}{due}" + (f" · instructions: {job.instructions}" if job.instructions else ""))
    _say(f"{len(jobs)} of {total} vendor jobs")


@vendor_app.command("show")
def vendor_show(job_id: JobId, vendor: VendorName = None, as_json: AsJson = False) -> None:
    """One of the vendor's jobs."""
    agency, _ = _agency(vendor)
    try:
        job = agency.job(job_id.strip())
    except ServiceError as exc:
        raise fail(exc) from None
    _show(job, as_json)


@vendor_app.command("download")
def vendor_download(
    job_id: JobId,
    vendor: VendorName = None,
    language: Annotated[
        str | None,
        typer.Option("--language", "-l", help="The target language (default: the job's only one).", metavar="LANG"),
    ] = None,
    xliff_version: Annotated[
        str | None,
        typer.Option("--xliff-version", help="1.2 or 2.0 (default: the vendor's xliff_version).", metavar="V"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).", metavar="FILE")
    ] = None,
) -> None:
    """The job's XLIFF file for one target language."""
    agency, _ = _agency(vendor)
    try:
        name, data = agency.download(job_id.strip(), language, xliff_version)
    except ServiceError as exc:
        raise fail(exc) from None
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(Invalid(f"{out} cannot be written: {exc.strerror}")) from None
    print_wrapped(errors, f"{name} written to {out}")


@vendor_app.command("accept")
def vendor_accept(job_id: JobId, vendor: VendorName = None, as_json: AsJson = False) -> None:
    """Accept a received job: work starts (in_production)."""
    _act(vendor, job_id, "accept", as_json)


@vendor_app.command("upload")
def vendor_upload(
    job_id: JobId,
    file: Annotated[Path, typer.Argument(help="The translated XLIFF file; - reads stdin.", metavar="FILE")],
    vendor: VendorName = None,
    as_json: AsJson = False,
) -> None:
    """Upload one target language's translated XLIFF. It is checked whole: a refused file changes
    nothing and every problem is listed. The job is delivered once every language is uploaded."""
    agency, cap = _agency(vendor)
    try:
        if str(file) == "-":
            data = sys.stdin.buffer.read(cap + 1)
        else:
            with file.open("rb") as handle:
                data = handle.read(cap + 1)
    except OSError as exc:
        raise fail(Invalid(f"{file} cannot be read: {exc.strerror}")) from None
    try:
        job = agency.upload(job_id.strip(), data, cap)
    except ServiceError as exc:
        raise fail(exc) from None
    _show(job, as_json)


@vendor_app.command("approve-cancel")
def vendor_approve_cancel(job_id: JobId, vendor: VendorName = None, as_json: AsJson = False) -> None:
    """Approve the connector's cancel request: the job is cancelled."""
    _act(vendor, job_id, "approve_cancel", as_json)


@vendor_app.command("refuse-cancel")
def vendor_refuse_cancel(job_id: JobId, vendor: VendorName = None, as_json: AsJson = False) -> None:
    """Refuse the connector's cancel request: work goes on (in_production)."""
    _act(vendor, job_id, "refuse_cancel", as_json)


def _act(vendor: str | None, job_id: str, action: str, as_json: bool) -> None:
    agency, _ = _agency(vendor)
    try:
        job = getattr(agency, action)(job_id.strip())
    except ServiceError as exc:
        raise fail(exc) from None
    _show(job, as_json)
