"""Amazon's per-language details file, written into the job's output prefix when the job finishes:
`details/<lang>.auxiliary-translation-details.json`, with counts as strings, as Amazon writes them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from dragoman.domain.jobs import JobView, Task
from dragoman.domain.states import TaskStatus
from dragoman.errors import SERVICE_FAULT_CODES, TargetExists
from dragoman.storage.scopes import StorageScopes

__all__ = ["details_writer"]


def details_writer(scopes: StorageScopes) -> Callable[[JobView, list[Task]], None]:
    """Writes a finished Amazon job's details files, in its tenant's storage scope."""

    def write(view: JobView, tasks: list[Task]) -> None:
        storage = scopes.for_tenant(view.job.tenant)
        details = dict(view.job.details or {})
        output = str(details.get("OutputDataConfig", {}).get("S3Uri", ""))
        source_prefix = str(details.get("InputDataConfig", {}).get("S3Uri", ""))
        if not output:
            return
        for language in sorted({task.target_language for task in tasks}):
            mine = [task for task in tasks if task.target_language == language]
            body = _details(view, mine, language, source_prefix, output)
            with contextlib.suppress(TargetExists):  # written before a crash stopped us from recording it
                storage.publish(
                    storage.child(output, f"details/{language}.auxiliary-translation-details.json"),
                    json.dumps(body, indent=2).encode(),
                    "application/json",
                )

    return write


def _details(view: JobView, tasks: list[Task], language: str, source_prefix: str, output: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for task in tasks:
        source_file = task.source_url.removeprefix(source_prefix.rstrip("/") + "/")
        if task.status is TaskStatus.SUCCEEDED:
            target_file = task.target_url.removeprefix(output)
            auxiliary: dict[str, Any] = {}
            if task.warnings:  # Dragoman's own key: what the translated document left untranslated
                auxiliary["warnings"] = [
                    {"warningCode": warning.code, "warningMessage": warning.message} for warning in task.warnings
                ]
            entries.append({"sourceFile": source_file, "targetFile": target_file, "auxiliaryData": auxiliary})
        elif task.status is TaskStatus.FAILED and task.error is not None:
            error = {"errorCode": task.error.code, "errorMessage": task.error.message}
            entries.append({"sourceFile": source_file, "auxiliaryData": {"error": error}})
    failed = [task for task in tasks if task.status is TaskStatus.FAILED]
    server = sum(1 for task in failed if task.error is not None and task.error.code in SERVICE_FAULT_CODES)
    return {
        "sourceLanguageCode": tasks[0].source_language if tasks else "",
        "targetLanguageCode": language,
        "charactersTranslated": str(sum(task.billed_characters for task in tasks)),
        "documentCountWithCustomerError": str(len(failed) - server),
        "documentCountWithServerError": str(server),
        "inputDataPrefix": source_prefix,
        "outputDataPrefix": output,
        "details": entries,
    }
