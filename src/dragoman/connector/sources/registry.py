"""The source systems a service reads entities from, built from its settings.

`DRAGOMAN_CONNECTOR_SOURCES` (JSON) or the `[connector_sources.<name>]` tables of the
DRAGOMAN_CONFIG file name each source system and its `kind`; the rest of its table is that kind's
options, checked by the kind module's `Options` model when the settings are loaded. Each kind is a
module of this package exposing `Options` (a pydantic model) and `create(name, options)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dragoman.connector.kinds import Kinds

if TYPE_CHECKING:
    from dragoman.connector.sources.base import SourceSystem

__all__ = ["KINDS", "build", "check"]

KINDS = Kinds("source", {"strapi": "dragoman.connector.sources.strapi"}, 64)


def check(name: str, table: Mapping[str, Any]) -> BaseModel:
    """The options of source system `name` as its kind reads them. Raises ValueError (`Kinds.check`)."""
    return KINDS.check(name, table)


def build(sources: Mapping[str, Mapping[str, Any]]) -> dict[str, SourceSystem]:
    """Source name -> source system, for every configured one."""
    return {name: KINDS.module(table["kind"]).create(name, check(name, table)) for name, table in sources.items()}
