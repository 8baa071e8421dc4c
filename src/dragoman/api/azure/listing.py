"""The list endpoints' query: Azure's parameters (with or without `$`, csv or repeated) parsed and
checked, and the absolute `nextLink` that carries every bit of state to the next page.

Pages after the first continue from a keyset cursor (`$skipToken`): the created time and id of the
last item sent, so jobs created while a caller pages never make an item appear twice or vanish.

Every number and date is bounded here, at the edge (issue 9 item 6): `top`, `skip` and `maxpagesize`
are int32 in Azure's spec (`format: int32`); dates with an offset are turned into UTC here, where a
date that leaves the calendar (year 1 at +01:00, year 9999 at -01:00) is a 400, not a store overflow.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
from starlette.datastructures import QueryParams

from dragoman.api.azure.errors import AzureError

__all__ = ["DEFAULT_PAGE", "INT32_MAX", "MAX_PAGE", "ListRequest", "cursor_seq", "parse_list_request"]

DEFAULT_PAGE = 50
MAX_PAGE = 100
_MAX_IDS = 1000
INT32_MAX = 2**31 - 1  # Azure's spec: top, skip and maxpagesize are int32
_INT64_MAX = 2**63 - 1  # a document cursor's sequence number is a database integer
_MAX_NUMBER_DIGITS = 20  # longer digit strings are out of range anyway; int() of a huge one is slow


@dataclass(frozen=True, slots=True)
class ListRequest:
    top: int | None
    skip: int
    maxpagesize: int | None
    ids: list[str] | None
    statuses: list[str] | None
    created_from: datetime | None
    created_to: datetime | None
    ascending: bool
    cursor: tuple[datetime, str] | None  # (created time in UTC, id or seq) of the last item sent

    @property
    def page_size(self) -> int:
        size = self.maxpagesize or DEFAULT_PAGE
        return size if self.top is None else min(size, self.top)

    def next_link(self, base: str, path: str, api_version: str, last: tuple[datetime, str], sent: int) -> str | None:
        remaining = None if self.top is None else self.top - sent
        if remaining is not None and remaining <= 0:
            return None
        params: list[tuple[str, str]] = [("api-version", api_version)]
        if remaining is not None:
            params.append(("top", str(remaining)))
        if self.maxpagesize is not None:
            params.append(("maxpagesize", str(self.maxpagesize)))
        if self.ids:
            params.append(("ids", ",".join(self.ids)))
        if self.statuses:
            params.append(("statuses", ",".join(self.statuses)))
        if self.created_from is not None:
            params.append(("createdDateTimeUtcStart", self.created_from.isoformat()))
        if self.created_to is not None:
            params.append(("createdDateTimeUtcEnd", self.created_to.isoformat()))
        params.append(("orderby", f"createdDateTimeUtc {'asc' if self.ascending else 'desc'}"))
        token = json.dumps([last[0].isoformat(), last[1]]).encode()
        params.append(("$skipToken", base64.urlsafe_b64encode(token).decode()))
        return f"{base.rstrip('/')}{path}?{urlencode(params)}"


def _one(params: QueryParams, *names: str) -> str | None:
    lowered = {key.lower(): key for key in params}
    for name in names:
        key = lowered.get(name.lower())
        if key is not None:
            return params[key]
    return None


def _many(params: QueryParams, *names: str) -> list[str] | None:
    values: list[str] = []
    wanted = {name.lower() for name in names}
    for key, value in params.multi_items():
        if key.lower() in wanted:
            values += [part.strip() for part in value.split(",") if part.strip()]
    return values or None


def _bad(message: str) -> AzureError:
    return AzureError(400, "InvalidArgument", "InvalidQueryParameter", message)


def _integer(params: QueryParams, name: str, low: int, high: int) -> int | None:
    """The query parameter `name` (or `$name`) as an integer in [low, high]; 400 otherwise."""
    raw = _one(params, name, f"${name}")
    if raw is None:
        return None
    text = raw.strip()
    try:
        value = int(text) if len(text) <= _MAX_NUMBER_DIGITS else None
    except ValueError:
        raise _bad(f"{name} must be an integer") from None
    if value is None or not low <= value <= high:
        raise _bad(f"{name} must be between {low} and {high}")
    return value


def _utc(text: str) -> datetime:
    """An ISO 8601 date and time in UTC (naive: taken as UTC). Raises ValueError for one that is not
    a date, or that leaves datetime's range (years 1 to 9999) once turned into UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text} is out of range in UTC") from None


def _moment(params: QueryParams, name: str) -> datetime | None:
    raw = _one(params, name, f"${name}")
    if raw is None:
        return None
    try:
        return _utc(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _bad(f"{name} must be an ISO 8601 date and time between years 1 and 9999 in UTC") from None


def parse_list_request(params: QueryParams, default_order: str = "desc") -> ListRequest:
    ids = _many(params, "ids", "$ids")
    if ids is not None and len(ids) > _MAX_IDS:
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", f"ids may list at most {_MAX_IDS} ids")
    order = (_one(params, "orderby", "$orderby") or f"createdDateTimeUtc {default_order}").split()
    if not order or order[0].lower() != "createddatetimeutc" or len(order) > 2:
        raise AzureError(
            400, "InvalidArgument", "InvalidQueryParameter", "orderby must be 'createdDateTimeUtc asc' or '... desc'"
        )
    direction = order[1].lower() if len(order) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", "orderby direction must be asc or desc")
    return ListRequest(
        top=_integer(params, "top", 0, INT32_MAX),
        skip=_integer(params, "skip", 0, INT32_MAX) or 0,
        maxpagesize=_integer(params, "maxpagesize", 1, MAX_PAGE),
        ids=ids,
        statuses=_many(params, "statuses", "$statuses"),
        created_from=_moment(params, "createdDateTimeUtcStart"),
        created_to=_moment(params, "createdDateTimeUtcEnd"),
        ascending=direction == "asc",
        cursor=_cursor(_one(params, "$skipToken", "skipToken")),
    )


def _cursor(token: str | None) -> tuple[datetime, str] | None:
    """The (created time in UTC, key) a `$skipToken` carries; 400 for anything else, a date out of
    range included."""
    if token is None:
        return None
    try:
        moment, key = orjson.loads(base64.urlsafe_b64decode(token.encode()))  # depth-bounded, unlike json
        if not isinstance(moment, str) or not isinstance(key, str | int) or isinstance(key, bool):
            raise TypeError("not a cursor")
        return _utc(moment), str(key)
    except (ValueError, TypeError):
        raise _bad("the $skipToken is not valid") from None


def cursor_seq(cursor: tuple[datetime, str]) -> tuple[datetime, int]:
    """A document list's cursor: its key is a task's sequence number, a database integer."""
    key = cursor[1]
    if not (key.isascii() and key.isdigit() and len(key) <= _MAX_NUMBER_DIGITS and int(key) <= _INT64_MAX):
        raise _bad("the $skipToken is not valid")
    return cursor[0], int(key)
