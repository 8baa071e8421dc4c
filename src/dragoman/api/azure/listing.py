"""The list endpoints' query: Azure's parameters (with or without `$`, csv or repeated) parsed and
checked, and the absolute `nextLink` that carries every bit of state to the next page.

Pages after the first continue from a keyset cursor (`$skipToken`): the created time and id of the
last item sent, so jobs created while a caller pages never make an item appear twice or vanish.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from dragoman.api.azure.errors import AzureError

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "ListRequest", "parse_cursor_time", "parse_list_request"]

DEFAULT_PAGE = 50
MAX_PAGE = 100
_MAX_IDS = 1000


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
    cursor: tuple[str, str] | None  # (created time ISO, id or seq) of the last item sent

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


def _integer(params: QueryParams, name: str, low: int, high: int | None) -> int | None:
    raw = _one(params, name, f"${name}")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", f"{name} must be {limit}")
    return value


def _moment(params: QueryParams, name: str) -> datetime | None:
    raw = _one(params, name, f"${name}")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise AzureError(
            400, "InvalidArgument", "InvalidQueryParameter", f"{name} must be an ISO 8601 date and time"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        top=_integer(params, "top", 0, None),
        skip=_integer(params, "skip", 0, None) or 0,
        maxpagesize=_integer(params, "maxpagesize", 1, MAX_PAGE),
        ids=ids,
        statuses=_many(params, "statuses", "$statuses"),
        created_from=_moment(params, "createdDateTimeUtcStart"),
        created_to=_moment(params, "createdDateTimeUtcEnd"),
        ascending=direction == "asc",
        cursor=_cursor(_one(params, "$skipToken", "skipToken")),
    )


def _cursor(token: str | None) -> tuple[str, str] | None:
    if token is None:
        return None
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(token.encode()))
        datetime.fromisoformat(moment)
        return str(moment), str(key)
    except (ValueError, TypeError):
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", "the $skipToken is not valid") from None


def parse_cursor_time(cursor: tuple[str, str]) -> datetime:
    return datetime.fromisoformat(cursor[0])
