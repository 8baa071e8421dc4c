"""Job ids as people type them: the full id, the 32-character id without dashes (Amazon's JobId,
what boto3 shows), or an unambiguous prefix of at least 8 characters (what the progress bar shows)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dragoman.errors import Invalid, NotFound

if TYPE_CHECKING:
    from dragoman.service import Dragoman

__all__ = ["MIN_PREFIX", "resolve_job_id"]

MIN_PREFIX = 8
_HEX = re.compile(r"^[0-9a-f]{1,32}$")
_CANDIDATES_SHOWN = 10


def resolve_job_id(service: Dragoman, text: str) -> str:
    """The id of the job `text` names. Raises NotFound, or Invalid for a prefix too short or one
    that starts several jobs' ids (the error lists them)."""
    given = text.strip()
    if not given:
        raise Invalid(
            "the job id is empty: give a job's id, or its first 8 characters (`dragoman jobs list` shows them)"
        )
    try:
        return service.get(given).job.id
    except NotFound:
        pass
    digits = given.lower().replace("-", "")
    if not _HEX.match(digits):
        raise NotFound(f"job {given} not found")
    if len(digits) < MIN_PREFIX:
        raise Invalid(
            f"{given!r} is too short to name a job: give at least {MIN_PREFIX} characters of its id "
            "(`dragoman jobs list` shows them)"
        )
    found = service.job_ids_starting_with(given.lower(), limit=_CANDIDATES_SHOWN + 1)
    if not found:
        raise NotFound(f"job {given} not found")
    if len(found) > 1:
        shown = ", ".join(found[:_CANDIDATES_SHOWN]) + (", ..." if len(found) > _CANDIDATES_SHOWN else "")
        raise Invalid(f"{given!r} is the start of several job ids: {shown}; give more of the id")
    return found[0]
