"""`dragoman translate`: plan a job from local paths, submit it, and follow it (or only submit it)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from dragoman.cli.app import EXIT_CANCELLED_HERE, Output, app, errors, fail, open_service, print_wrapped, stdout
from dragoman.cli.follow import CtrlC, follow_to_the_end, print_skipped
from dragoman.cli.output import job_json, location, print_json, skipped_json, task_json
from dragoman.errors import Invalid, ServiceError, TargetBeingWritten, TargetExists, UnsupportedLanguage

if TYPE_CHECKING:
    from dragoman.domain.jobs import JobView
    from dragoman.domain.specs import JobSpec, TaskSpec
    from dragoman.service import Dragoman

__all__ = ["language_hint", "refuse_existing", "roots_hint", "submit_and_follow", "translate"]

# The formats of formats.documents.FORMATS, named here so that --help loads none of them (a test
# checks every extension is named).
PATHS_HELP = (
    "Documents, or folders of documents: text (.txt), HTML (.html .htm .xhtml), Word (.docx), PowerPoint "
    "(.pptx), Excel (.xlsx), OpenDocument (.odt .odp .ods), Markdown (.md .markdown), subtitles (.srt .vtt), "
    "gettext (.po .pot), XLIFF (.xlf .xliff). A file with no extension is recognised by its content."
)
JSON_HELP = "Print one JSON document (stable field names) on stdout instead of text."
QUIET_HELP = "No progress and no messages: only the final line, and errors on stderr."
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
_EXISTING_NAMED = 3
_PAIRS_NAMED = 12


@app.command()
def translate(
    given_paths: Annotated[list[str], typer.Argument(help=PATHS_HELP, metavar="PATH...", show_default=False)],
    to: Annotated[
        list[str],
        typer.Option(
            "--to", "-t", help="Target language: repeat (--to es --to ca) or list (--to es,ca).", metavar="LANG"
        ),
    ],
    given_out: Annotated[
        str, typer.Option("--out", "-o", help="Folder for translations: OUT/<lang>/<document>.", metavar="OUT")
    ],
    source: Annotated[
        str, typer.Option("--from", "-f", help="Source language, or auto to detect each document's.", metavar="LANG")
    ] = "en",
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing", help="Leave out documents whose translation already exists; translate the rest."
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option(help="Run the job here and follow it; --no-wait only submits it, for a running service.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
) -> None:
    """Translate documents. Ctrl-C cancels the job: finished documents are kept, the rest stop."""
    # Ctrl-C is counted from here on, so that a press while the job is being created or the runner
    # started is not lost: it cancels the job as soon as the job exists (a press before that creates
    # no job at all). The handler stays until the process ends: a press after the job ended (while
    # the summary is printed) changes nothing, and the exit code still says how the job ended.
    output = Output(json=as_json, quiet=quiet)
    ctrl_c = CtrlC()
    ctrl_c.install()  # --no-wait too: a press after the job was submitted changes nothing, exit 0
    if wait:
        from dragoman.engines.detect import preload

        preload()  # every document's language is detected or confirmed here: load the model meanwhile
    targets = list(dict.fromkeys(part.strip() for item in to for part in item.split(",") if part.strip()))
    paths, out = given_paths_and_out(given_paths, given_out)
    if not targets:
        raise fail(Invalid("name at least one target language with --to (--to es, or --to es,ca)"))
    _refuse_languages_taken_for_paths(paths, targets)
    output.say(f"preparing the job: {len(paths)} path(s) into {', '.join(targets)}")  # before the slow part
    try:
        service = open_service(with_runner=wait)
    except ServiceError as exc:
        raise fail(exc) from None
    if wait:
        _warm_engine(service, source, targets)
    try:
        spec, skipped = _plan(service, paths, out, targets, source, skip_existing=skip_existing)
    except ServiceError as exc:
        service.close()
        raise fail(exc, _hint(service, exc, [*paths, out], source, targets)) from None
    print_skipped(output, skipped)
    if not spec.tasks:
        service.close()
        if output.json:
            print_json({"job": None, "tasks": [], "skipped": [skipped_json(task) for task in skipped]})
        else:
            output.say(f"nothing to translate: the {len(skipped)} translation(s) asked for already exist")
        raise typer.Exit(0)
    submit_and_follow(service, spec, ctrl_c, output, wait=wait, skipped=skipped, hint_paths=[*paths, out], out=out)


def given_paths_and_out(paths: Sequence[str], out: str) -> tuple[list[Path], Path]:
    """The paths as typed, refused when empty: an empty argument (`translate "" --to es`, an unset
    shell variable) would read as the current folder, and translate everything in it."""
    if any(not path.strip() for path in paths):
        raise fail(Invalid("a path given is empty: name a document or a folder (the current one is .)"))
    if not out.strip():
        raise fail(Invalid("--out is empty: name the folder for translations (the current one is .)"))
    return [Path(path) for path in paths], Path(out)


def _warm_engine(service: Dragoman, source: str, targets: Sequence[str]) -> None:
    """Start the engine's pipelines for the named pairs on a thread, while the job is planned and
    created: their processes load their dictionaries on the other cores meanwhile (about 0.1 s, a
    one-sentence job's whole translation time). Nothing for a source to be detected, or a pair the
    engine does not have: the job's own checks say what is wrong."""
    import threading

    from dragoman.domain.specs import AUTO_LANGUAGE, primary_language

    engine = service.engine
    pairs = [
        (primary_language(source), primary_language(target))
        for target in targets
        if source != AUTO_LANGUAGE and primary_language(source) != primary_language(target)
    ]
    pairs = [pair for pair in dict.fromkeys(pairs) if engine.supports(*pair)]

    def warm() -> None:
        for pair in pairs:
            try:
                engine.warm(*pair)
            except (ServiceError, OSError):  # only a head start: the job starts what failed here, or says why
                return

    if pairs:
        threading.Thread(target=warm, name="dragoman-engine-warm", daemon=True).start()


def submit_and_follow(
    service: Dragoman,
    spec: JobSpec,
    ctrl_c: CtrlC,
    output: Output,
    *,
    wait: bool,
    skipped: Sequence[TaskSpec] = (),
    hint_paths: Sequence[Path] = (),
    out: Path | None = None,
) -> None:
    """Submit the job and follow it to its end (translate, jobs retry); with `wait` off, only submit it.
    `out`: the job's --out, marked as a folder of translations once the job goes on
    (`planning.mark_output_folder`).
    A Ctrl-C pressed before the job exists creates none. One pressed while it is being created
    cancels it before anything of it runs, here or in a `dragoman serve` on the same store, `--no-wait`
    or not: the job is created held (no runner claims it) and released only once this command has
    decided to go on."""
    if ctrl_c.presses:
        service.close()
        (errors if output.quiet or output.json else stdout).print("stopped before a job was created")
        raise typer.Exit(EXIT_CANCELLED_HERE)
    try:
        view = service.submit(spec, held=True)
    except ServiceError as exc:
        service.close()
        source = spec.tasks[0].source_language if spec.tasks else "en"
        targets = list(dict.fromkeys(task.target_language for task in spec.tasks))
        raise fail(exc, _hint(service, exc, hint_paths, source, targets)) from None
    # Told, and its --out marked, before it goes to the runners: a command killed right after the
    # release leaves a job its user has seen, whose translations are never read as sources (red team:
    # a kill -9 in between left a queued job nobody was told of, writing into an unmarked folder).
    if out is not None and not ctrl_c.presses:
        from dragoman.planning import mark_output_folder

        mark_output_folder(service.local.resolve(str(out)))
    console = output.messages
    if console is not None:
        count = f": {view.summary.total} document translation(s)"
        print_wrapped(console, Text.assemble("job ", (view.job.id, "bold"), count))
    view, stopped = _cancel_or_release(service, view, ctrl_c, output)
    if not wait:
        # Stopped as it was created (cancelled, or, the store busy, once this command has ended); a
        # press after the job went on changes nothing: it was submitted (red team: a press landing
        # just after the release exited 130 and left the job queued)
        if stopped:
            service.close()
            raise typer.Exit(EXIT_CANCELLED_HERE)
        _submitted_only(service, view, output)
        service.close()
        raise typer.Exit(0)
    follow_to_the_end(service, view, ctrl_c, output, skipped)


def _cancel_or_release(service: Dragoman, view: JobView, ctrl_c: CtrlC, output: Output) -> tuple[JobView, bool]:
    """The decision on a job this command created held, and whether it was stopped: cancel it if a
    Ctrl-C came while it was being created (nothing of it has run anywhere), else release it to the
    runners. A press from here on is an ordinary cancel. If the cancel cannot be recorded now (the
    store is busy), the job stays held (stopped all the same): the follow loop asks again, and
    recovery cancels it once this command has ended."""
    if not ctrl_c.presses:
        try:
            return service.release(view.job.id), False
        except ServiceError as exc:
            service.close()
            raise fail(exc) from None
    try:
        view = service.cancel(view.job.id)
    except ServiceError:
        return view, True
    ctrl_c.cancel_recorded = True
    (errors if output.quiet or output.json else stdout).print("cancelling: the job was cancelled as it was created")
    return view, True


def _submitted_only(service: Dragoman, view: JobView, output: Output) -> None:
    if not _serving_here(service):
        print_wrapped(
            errors,
            f"warning: no `dragoman serve` or `dragoman worker` runs on this store ({_store_named(service)}): the job "
            f"waits until one runs on it, or until `dragoman jobs wait {view.job.id}` runs it here",
        )
    if output.json:
        print_json({"job": job_json(view), "tasks": [task_json(task) for task in service.tasks(view.job.id)]})
    elif output.quiet:
        stdout.print(f"job {view.job.id}: {view.status.value}", markup=False)


def _serving_here(service: Dragoman) -> bool:
    """Whether a `dragoman serve` runs on this command's store (a fresh heartbeat in it: whatever
    answers on DRAGOMAN_PORT may use another store, and a pid file may outlive its process)."""
    try:
        return service.serving_here()
    except ServiceError:
        return False


def _store_named(service: Dragoman) -> str:
    """The store as the warning names it: its setting and value (a database URL without password)."""
    from dragoman.config import setting_name

    settings = service.settings
    if settings.database_url:
        shown = re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", settings.database_url)
        return f"{setting_name('database_url')}={shown}"
    return f"{setting_name('data_dir')}={settings.data_dir}"


def _refuse_languages_taken_for_paths(paths: Sequence[Path], targets: Sequence[str]) -> None:
    """`--to es ca`: typer takes `ca` for a path. Say how to ask for several languages instead, also
    when a folder of that name is here (an earlier --out holds es/ and ca/), if `ca` came right
    after the value of a --to: written `./ca`, or before --to, it is taken as the folder it names."""
    for path in paths:
        if not _LANGUAGE_TAG.match(str(path)):
            continue
        exists = os.path.lexists(path)
        if exists and not _right_after_a_to_value(str(path)):
            continue
        first = targets[0] if targets else "es"
        raise fail(
            Invalid(
                f"{path} is a folder here, but it comes right after --to {first}, as a second language would"
                if exists
                else f"{path} is not a file or folder"
            ),
            f"to translate into several languages, repeat --to (--to {first} --to {path}) or list them "
            f"(--to {first},{path})" + (f"; to translate the folder, write ./{path}" if exists else ""),
        )


def _right_after_a_to_value(argument: str) -> bool:
    """Whether `argument` follows the value of a --to (or -t) on this command line: `--to es ca`,
    `--to=es ca`, `-t es ca`."""
    words = sys.argv[1:]
    for index, word in enumerate(words):
        value_inside = word.startswith("--to=") or (word.startswith("-t") and len(word) > 2 and word[1] != "-")
        after = index + 1 if value_inside else index + 2 if word in ("--to", "-t") else None
        if after is not None and after < len(words) and words[after] == argument:
            return True
    return False


def _plan(
    service: Dragoman, paths: Sequence[Path], out: Path, targets: Sequence[str], source: str, *, skip_existing: bool
) -> tuple[JobSpec, list[TaskSpec]]:
    from dragoman.planning import check_output_folders, existing_targets, plan_local_job, without_tasks
    from dragoman.warm import helper_folder

    # the service's own files, and the warm-start helpers' (their sockets and locks), are no documents
    private = [*service.settings.state_paths, Path(helper_folder())]
    spec = plan_local_job(service.local, paths, out, targets, source, private=private)
    check_output_folders(service.local, out, spec)
    existing = existing_targets(service.local, spec)
    if not existing:
        return spec, []
    if not skip_existing:
        refuse_existing(existing, len(spec.tasks), "choose another --out")
    return without_tasks(spec, existing), existing


def refuse_existing(existing: Sequence[TaskSpec], total: int, elsewhere: str) -> None:
    """Raise TargetExists naming how many targets exist, a few of them, and what to do instead."""
    named = ", ".join(location(task.target_url) for task in existing[:_EXISTING_NAMED])
    more = ", ..." if len(existing) > _EXISTING_NAMED else ""
    raise TargetExists(
        f"{len(existing)} of the {total} translations asked for already exist ({named}{more}); "
        f"Dragoman never overwrites a document. Translate only the others with --skip-existing, or {elsewhere}."
    )


def _hint(
    service: Dragoman, exc: ServiceError, paths: Sequence[Path], source: str, targets: Sequence[str]
) -> str | None:
    if isinstance(exc, UnsupportedLanguage):
        return language_hint(service, source, targets)
    if "outside the allowed storage roots" in exc.message:
        return roots_hint(service, paths)
    if isinstance(exc, TargetBeingWritten) and exc.job_id is not None:  # a job of this store's command line
        return (
            f"`dragoman jobs wait {exc.job_id}` runs it to its end here (a command stopped by a kill leaves its job"
            f" to be finished), or `dragoman jobs cancel {exc.job_id}` stops it; then run this again with"
            " --skip-existing"
        )
    return None


def roots_hint(service: Dragoman, paths: Sequence[Path]) -> str:
    """How to allow a folder: the roots setting now, and a value that adds every path of `paths`
    outside them at once (a folder as it is, a document's folder, a folder still to be made whose
    parent exists, as `--out` often is), so that the value suggested is one that works."""
    from dragoman.config import setting_name

    roots = [str(root) for root in service.settings.roots]
    allowed = [Path(os.path.realpath(root)) for root in roots]
    added: list[Path] = []
    for path in paths:
        real = Path(os.path.realpath(path))
        if real.is_dir() or (not real.exists() and real.parent.is_dir()):
            folder = real
        elif real.exists():
            folder = real.parent
        else:
            continue  # neither there nor to be made: the error about it says so, not a root to add
        if not any(folder == root or folder.is_relative_to(root) for root in [*allowed, *added]):
            added = [kept for kept in added if not kept.is_relative_to(folder)] + [folder]
    suggested = ":".join([*roots, *(str(folder) for folder in added)]) if added else None
    example = f", e.g. DRAGOMAN_ROOTS={suggested}" if suggested else ""
    return (
        f"Dragoman reads and writes documents only under {', '.join(roots) or 'no folder'}. To allow another "
        f"folder, add it to {setting_name('roots')} (folders separated by ':'){example}"
    )


def language_hint(service: Dragoman, source: str, targets: Sequence[str]) -> str:
    """The installed pairs, and the Debian package that would add the pair asked for."""
    from dragoman.config import setting_name

    pairs = service.languages()
    if not pairs:
        return (
            f"no Apertium language pair is installed in {service.settings.apertium_modes_dir} "
            f"({setting_name('apertium_modes_dir')}); install one with its Debian package, e.g. "
            "`apt install apertium-eng-spa` (`apt-cache search apertium-` lists them)"
        )
    listed = ", ".join(f"{pair.source} -> {pair.target}" for pair in pairs[:_PAIRS_NAMED])
    if len(pairs) > _PAIRS_NAMED:
        listed += ", ..."
    missing = next((target for target in targets if not service.engine.supports(source, target)), None)
    package = _debian_package(source, missing) if missing is not None else "apertium-xxx-yyy"
    return (
        f"installed pairs: {listed} (`dragoman languages` lists them). To add a pair, install its Debian "
        f"package if Debian has one (not every pair exists), named by three-letter codes: {package} "
        "(`apt-cache search apertium-` lists what there is)"
    )


def _debian_package(source: str, target: str) -> str:
    from dragoman.domain.specs import AUTO_LANGUAGE, primary_language
    from dragoman.engines.languages import _THREE_TO_TWO

    three = {two: three for three, two in _THREE_TO_TWO.items()}

    def code(tag: str) -> str:
        language = primary_language(tag.lower().replace("_", "-"))
        return three.get(language, language)

    target_code = code(target)
    if source.strip().lower() == AUTO_LANGUAGE:
        return f"apertium-<source>-{target_code}"
    source_code = code(source)
    return f"apertium-{source_code}-{target_code} or apertium-{target_code}-{source_code}"
