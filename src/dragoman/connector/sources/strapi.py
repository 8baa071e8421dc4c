"""A Strapi 5 CMS as a source system, over its REST API with an API token.

Entities are the documents of one collection type with i18n enabled; their revision is the source
locale's `updatedAt`. Only the configured localized text fields are read and written back, per
locale (`PUT /api/<plural>/<documentId>?locale=<code>` with `{"data": {...}}`, which creates the
locale's version when absent). Strapi's REST answers carry no ETag, so a target version's revision
is its `updatedAt` too. Source: Strapi 5 REST API documentation (docs.strapi.io, "REST API",
"Locale", "Filters", "Pagination"); ../shared/reference/connector.md §3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from dragoman.connector.sources.base import SourceEntity, SourceSystem, TargetVersion
from dragoman.errors import NotFound, SourceSystemError

__all__ = ["Options", "StrapiSource", "create"]

PAGE_SIZE = 100  # Strapi's default maxLimit


class Options(BaseModel):
    """A Strapi source's settings (a DRAGOMAN_CONNECTOR_SOURCES table of kind `strapi`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(pattern=r"^https?://", description="Strapi's base URL, e.g. http://127.0.0.1:1337.")
    token: SecretStr = Field(description="A Strapi API token allowed to read and update the collection.")
    collection: str = Field(pattern=r"^[a-z0-9-]{1,100}$", description="The collection's plural API id (products).")
    fields: list[str] = Field(min_length=1, description="The localized text fields to translate.")
    source_language: str = Field(default="en", description="The Strapi locale code the source is written in.")
    tenant: str = Field(default="default", description="The Dragoman tenant its entities belong to.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)


class StrapiSource(SourceSystem):
    """One Strapi collection (see the module's docstring)."""

    kind = "strapi"

    def __init__(self, name: str, options: Options) -> None:
        import httpx

        self.name = name
        self.tenant = options.tenant
        self._options = options
        self._client = httpx.Client(
            base_url=options.url.rstrip("/"),
            headers={"Authorization": f"Bearer {options.token.get_secret_value()}"},
            timeout=options.timeout_seconds,
            follow_redirects=False,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """The JSON answer; None for 404. Raises SourceSystemError naming the source, never the token."""
        import httpx

        try:
            answer = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SourceSystemError(
                f"the source system {self.name!r} (Strapi at {self._options.url}) could not be reached: {exc}"
            ) from None
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            detail = ""
            with contextlib.suppress(ValueError):
                detail = str(answer.json().get("error", {}).get("message", ""))
            raise SourceSystemError(
                f"the source system {self.name!r} answered {answer.status_code} to {method} {path.split('?')[0]}"
                + (f": {detail}" if detail else "")
            )
        try:
            document = answer.json()
        except ValueError:
            raise SourceSystemError(f"the source system {self.name!r} answered something that is not JSON") from None
        if not isinstance(document, dict):
            raise SourceSystemError(f"the source system {self.name!r} answered an unexpected document")
        return document

    def _path(self, document_id: str | None = None) -> str:
        path = f"/api/{self._options.collection}"
        return path if document_id is None else f"{path}/{quote(document_id, safe='')}"

    def _entity(self, data: Mapping[str, Any]) -> SourceEntity:
        return SourceEntity(
            id=str(data["documentId"]),
            source_language=self._options.source_language,
            revision=str(data["updatedAt"]),
            fields=self._fields(data),
        )

    def _fields(self, data: Mapping[str, Any]) -> dict[str, str]:
        return {name: data[name] for name in self._options.fields if isinstance(data.get(name), str) and data[name]}

    def _params(self, locale: str) -> dict[str, str]:
        params = {"locale": locale}
        for number, name in enumerate(["documentId", "updatedAt", *self._options.fields]):
            params[f"fields[{number}]"] = name
        return params

    def changed(self, since: str | None) -> Iterator[SourceEntity]:
        page = 1
        while True:
            params = {
                **self._params(self._options.source_language),
                "sort[0]": "updatedAt:asc",
                "sort[1]": "documentId:asc",
                "pagination[page]": str(page),
                "pagination[pageSize]": str(PAGE_SIZE),
            }
            if since is not None:
                params["filters[updatedAt][$gte]"] = since
            document = self._call("GET", self._path(), params=params) or {}
            for data in document.get("data") or []:
                yield self._entity(data)
            pagination = (document.get("meta") or {}).get("pagination") or {}
            if page >= int(pagination.get("pageCount") or 0):
                return
            page += 1

    def read(self, entity_id: str) -> SourceEntity:
        document = self._call("GET", self._path(entity_id), params=self._params(self._options.source_language))
        if document is None or not isinstance(document.get("data"), dict):
            raise NotFound(f"the source system {self.name!r} has no entity {entity_id!r}")
        return self._entity(document["data"])

    def target(self, entity_id: str, language: str) -> TargetVersion | None:
        document = self._call("GET", self._path(entity_id), params=self._params(language))
        if document is None or not isinstance(document.get("data"), dict):
            return None
        data = document["data"]
        return TargetVersion(revision=str(data["updatedAt"]), fields=self._fields(data))

    def write(self, entity_id: str, language: str, fields: Mapping[str, str]) -> TargetVersion:
        localized = {name: text for name, text in fields.items() if name in self._options.fields}
        document = self._call("PUT", self._path(entity_id), params={"locale": language}, json={"data": localized})
        if document is None or not isinstance(document.get("data"), dict):
            raise NotFound(f"the source system {self.name!r} no longer has entity {entity_id!r}")
        data = document["data"]
        return TargetVersion(revision=str(data["updatedAt"]), fields=self._fields(data))

    def close(self) -> None:
        self._client.close()


def create(name: str, options: Options) -> StrapiSource:
    """The Strapi source named `name`."""
    return StrapiSource(name, options)
