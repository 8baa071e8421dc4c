"""`dragoman jobs ...`: list, show, cancel, wait for and retry jobs. Every command taking a job id
takes it whole, without its dashes, or as an unambiguous prefix (`ids.resolve_job_id`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from dragoman.cli.app import Output, fail, jobs_app, open_service, print_wrapped, stdout
from dragoman.cli.follow import CtrlC, follow_to_the_end, print_skipped
from dragoman.cli.ids import resolve_job_id
from dragoman.cli.output import job_json, location, print_json, skipped_json, task_json
from dragoman.cli.translate import JSON_HELP, QUIET_HELP, refuse_existing, submit_and_follow
from dragoman.domain.jobs import LOST_RACE, CancelOutcome
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import Conflict, ServiceError

if TYPE_CHECKING:
    from dragoman.domain.jobs import JobView
    from dragoman.service import Dragoman

__all__ = ["jobs_cancel", "jobs_list", "jobs_retry", "jobs_show", "jobs_wait"]

_ID_HELP = "The job's id: whole, without its dashes, or its first 8 or more characters."
JobId = Annotated[str, typer.Argument(help=_ID_HELP, metavar="JOB_ID", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]


_Status = TypeVar("_Status", bound=StrEnum)


def _statuses(kind: type[_Status], what: str) -> Callable[[list[str] | None], list[_Status] | None]:
    """A --status option's reading: repeated or comma-separated (`-s failed,cancelled`, as `--to es,ca`),
    each value one of `kind`'s, else a usage error that lists them (typer's own said "Value error,
    'x' is not one of ...")."""

    def read(values: list[str] | None) -> list[_Status] | None:
        if not values:
            return None
        known = {status.value: status for status in kind}
        words = [word.strip().lower() for value in values for word in value.split(",") if word.strip()]
        for word in words:
            if word not in known:
                raise typer.BadParameter(f"{word!r} is not {what}; one of: {', '.join(known)}")
        return [known[word] for word in dict.fromkeys(words)] or None

    return read


def _status_option(kind: type[StrEnum], what: str, help_text: str) -> Any:
    """The `--status` / `-s` option, repeatable, read by `_statuses`."""
    return typer.Option("--status", "-s", help=help_text, metavar="STATUS", callback=_statuses(kind, what))


def _resolved(job_id: str, *, with_runner: bool = False) -> tuple[Dragoman, str]:
    try:
        service = open_service(with_runner=with_runner, reading=True)  # no store yet: no job of that id
    except ServiceError as exc:
        raise fail(exc) from None
    try:
        return service, resolve_job_id(service, job_id)
    except ServiceError as exc:
        service.close()
        raise fail(exc) from None


def _table(*columns: str) -> Table:
    """A table whose cells are folded, never cut with an ellipsis; the job id column never wraps."""
    table = Table(*columns)
    for column in table.columns:
        column.overflow = "fold"
    return table


@jobs_app.command("list")
def jobs_list(
    status: Annotated[
        list[str] | None,
        _status_option(
            JobStatus, "a job status", "Only jobs in this status; repeat, or list them (-s failed,cancelled)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many of the newest jobs.", metavar="N")] = 20,
    as_json: AsJson = False,
) -> None:
    """The newest jobs.

    Statuses: validating, invalid, queued, running, cancelling, succeeded, partially_failed, failed,
    cancelled."""
    from dragoman.store.jobs import JobQuery

    try:
        service = open_service(reading=True)
        statuses = {JobStatus(value) for value in status} if status else None
        views = service.list_jobs(limit=limit, query=JobQuery(statuses=statuses))
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([job_json(view) for view in views])
        return
    table = _table("job", "created (UTC)", "status", "done/total", "failed", "cancelled", "billed")
    table.columns[0].no_wrap = True
    blocks = []
    for view in views:
        summary = view.summary
        row = (
            view.job.id,
            view.job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            view.status.value,
            f"{summary.succeeded}/{summary.total}",
            str(summary.failed),
            str(summary.cancelled),
            str(summary.characters_charged),
        )
        table.add_row(*row)
        blocks.append(
            [
                f"{row[0]}  {row[2]}",
                "  "
                + " · ".join(  # a number and its word stay together (a no-break space) when the line wraps
                    [row[1], *(f"{number}\u00a0{word}" for number, word in zip(row[3:], _COUNTED, strict=True))]
                ),
            ]
        )
    _print_table_or_blocks(table, blocks)


_COUNTED = ("done", "failed", "cancelled", "billed")  # the words after a narrow `jobs list`'s numbers


def _print_table_or_blocks(table: Table, blocks: list[list[str]]) -> None:
    """The table when it fits the terminal (or off a terminal, where nothing is cut); on a narrow
    terminal the same facts as a few lines per row, so that no column is squeezed to nothing."""
    unbounded = stdout.options.update(max_width=100_000)
    if not blocks or not stdout.is_terminal or Measurement.get(stdout, unbounded, table).maximum <= stdout.width:
        stdout.print(table)
        return
    for lines in blocks:
        for line in lines:
            labelled = re.match(r"  \S+ {2,}", line)  # `  source       PATH`: continued under the value
            print_wrapped(stdout, line, hang=labelled.end() if labelled else None if line.startswith(" ") else 2)


@jobs_app.command("show")
def jobs_show(
    job_id: JobId,
    status: Annotated[
        list[str] | None,
        _status_option(
            TaskStatus,
            "a document's status",
            "Only documents in this status (pending, running, succeeded, failed, cancelled); repeat, or list them.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """A job, each of its documents and where its translation is written, and why it failed."""
    from dragoman.store.jobs import TaskQuery

    service, job_id = _resolved(job_id)
    try:
        view = service.get(job_id)
        statuses = {TaskStatus(value) for value in status} if status else None
        tasks = service.tasks(job_id, query=TaskQuery(statuses=statuses))
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json({"job": job_json(view), "tasks": [task_json(task) for task in tasks]})
        return
    print_headline(view)
    if not tasks:
        if view.summary.total == 0:
            stdout.print("no documents: nothing ran")
        return
    table = _table("task", "source", "lang", "status", "chars", "translation", "error or warning")
    blocks = []
    for task in tasks:
        translation = location(task.target_url)
        if task.status is not TaskStatus.SUCCEEDED:
            translation = f"({translation})"
        error = f"{task.error.code}: {task.error.message}" if task.error else ""
        warnings = [f"warning: {warning.message}" for warning in task.warnings]
        languages = f"{task.source_language}->{task.target_language}"
        table.add_row(
            task.id[:8],
            Text(location(task.source_url)),
            languages,
            task.status.value,
            str(task.billed_characters),
            Text(translation),
            Text("\n".join([error, *warnings] if error else warnings)),
        )
        lines = [
            f"{task.id[:8]}  {task.status.value}  {languages}  {task.billed_characters} chars",
            f"  source       {location(task.source_url)}",
            f"  translation  {translation}",
        ]
        lines += [f"  error        {error}"] if error else []
        blocks.append(lines + [f"  warning      {warning.message}" for warning in task.warnings])
    _print_table_or_blocks(table, blocks)
    if any(task.status is not TaskStatus.SUCCEEDED for task in tasks):
        stdout.print("a translation in parentheses is where it goes; it is written only when it succeeds")


def print_headline(view: JobView) -> None:
    """`job ID: STATUS · counts · billed`, and the reason a job failed as a whole."""
    summary = view.summary
    counts = (
        f" · {summary.succeeded}\u00a0succeeded, {summary.failed}\u00a0failed, {summary.cancelled}\u00a0cancelled, "
        f"{summary.in_progress}\u00a0running, {summary.not_yet_started}\u00a0waiting · "
        f"{summary.characters_charged}\u00a0characters billed"
    )
    print_wrapped(stdout, Text.assemble(f"job {view.job.id}: ", (view.status.value, "bold"), counts))
    failure = view.job.failure
    if failure is not None:
        print_wrapped(stdout, f"reason: {failure.code}: {failure.message}")
    if view.cancel_outcome is CancelOutcome.LOST_RACE:
        stdout.print(f"a cancel was asked for and lost the race: {LOST_RACE}")
    elif view.cancel_outcome is CancelOutcome.IN_PROGRESS:
        stdout.print("a cancel was accepted: running documents stop at their next safe point, not billed")


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobId, as_json: AsJson = False) -> None:
    """Cancel a job: pending documents are dropped, running ones stop at a safe point."""
    service, job_id = _resolved(job_id)
    try:
        view = service.cancel(job_id)
        # Documents still running: their runner stops them at the next safe point, unless it is gone
        # (a command killed with kill -9, no service running): then they are settled now, as any
        # runner would, instead of the job staying cancelling until one looks.
        if not view.is_terminal and service.settle_orphans():
            view = service.get(job_id)
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(job_json(view))  # cancel_outcome: in_progress, took_effect or lost_race
        return
    print_headline(view)


@jobs_app.command("wait")
def jobs_wait(job_id: JobId, as_json: AsJson = False, quiet: Quiet = False) -> None:
    """Follow a job until it ends (running its documents here too); exit as translate does.

    Ctrl-C stops waiting; it does not cancel the job (`dragoman jobs cancel` does)."""
    ctrl_c = CtrlC(cancels=False)
    ctrl_c.install()
    service, job_id = _resolved(job_id, with_runner=True)
    try:
        view = service.get(job_id)
    except ServiceError as exc:
        raise fail(exc) from None
    follow_to_the_end(service, view, ctrl_c, Output(json=as_json, quiet=quiet))


@jobs_app.command("retry")
def jobs_retry(
    job_id: JobId,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Leave out documents whose translation exists by now.")
    ] = False,
    wait: Annotated[bool, typer.Option(help="Run the new job here and follow it; --no-wait only submits it.")] = True,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """A new job for the documents of a job that did not succeed (failed or cancelled).

    Same sources, targets and languages. It is followed as translate follows its job: Ctrl-C cancels
    it, and the exit code is translate's."""
    ctrl_c = CtrlC()
    ctrl_c.install()  # before anything loads; with --no-wait too, as translate does
    from dragoman.domain.specs import ErrorInfo, JobSpec, TaskSpec
    from dragoman.planning import existing_targets, without_tasks

    output = Output(json=as_json, quiet=quiet)
    service, job_id = _resolved(job_id, with_runner=wait)
    try:
        view = service.get(job_id)
        _refuse_unfinished(view)
        left = [task for task in service.tasks(job_id) if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED)]
        spec = JobSpec(
            tenant=view.job.tenant,
            tasks=[
                TaskSpec(
                    task.source_url,
                    task.target_url,
                    task.source_language,
                    task.target_language,
                    task.glossary,
                    task.document_format,
                    # refused as the job was planned (a link to nothing, a name that cannot be used):
                    # it has no target, and fails again, saying why, while the rest are retried
                    error=None if task.target_url else task.error or ErrorInfo("InvalidDocumentName", "no target"),
                )
                for task in left
            ],
            name=f"retry of {job_id}",
        )
        existing = existing_targets(service.storage.for_tenant(view.job.tenant), spec) if left else []
        if existing and not skip_existing:
            refuse_existing(existing, len(spec.tasks), "remove those files first")
    except ServiceError as exc:
        service.close()
        raise fail(exc) from None
    spec = without_tasks(spec, existing)
    print_skipped(output, existing)
    if not spec.tasks:
        service.close()
        if as_json:
            print_json({"job": None, "tasks": [], "skipped": [skipped_json(task) for task in existing]})
        else:
            output.say(f"nothing to retry: every document of job {job_id} succeeded, or its translation exists")
        raise typer.Exit(0)
    output.say(
        f"retrying {len(spec.tasks)} of the {view.summary.total} document translation(s) of job {job_id} "
        f"({view.summary.failed} failed, {view.summary.cancelled} cancelled)"
    )
    submit_and_follow(service, spec, ctrl_c, output, wait=wait, skipped=existing)


def _refuse_unfinished(view: JobView) -> None:
    job_id = view.job.id
    if view.status is JobStatus.INVALID:
        reason = view.job.failure.message if view.job.failure is not None else "its input was unusable"
        raise Conflict(f"job {job_id} failed validation ({reason}): nothing ran, so there is nothing to retry")
    if not view.is_terminal:
        raise Conflict(
            f"job {job_id} is {view.status.value}: wait for it to end (`dragoman jobs wait {job_id}`) "
            "or cancel it, then retry"
        )
