"""The source systems a service reads entities from, built from its settings.

`DRAGOMAN_CONNECTOR_SOURCES` (JSON) or the `[connector_sources.<name>]` tables of the
DRAGOMAN_CONFIG file name each source system and its `kind`; the rest of its table is that kind's
options, checked by the kind module's `Options` model when the settings are loaded. Each kind is a
module of this package exposing `Options` (a pydantic model) and `create(name, options)`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from dragoman.connector.sources.base import SourceSystem

__all__ = ["KINDS", "build", "check"]

KINDS: dict[str, str] = {
    "strapi": "dragoman.connector.sources.strapi",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _module(kind: object) -> ModuleType:
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(KINDS))} (got {kind!r})")
    return importlib.import_module(KINDS[kind])


def check(name: str, table: Mapping[str, Any]) -> BaseModel:
    """The options of source system `name` as its kind reads them. Raises ValueError saying what is
    wrong (an unusable name, an unknown kind, a missing or unknown option)."""
    if not NAME.match(name):
        raise ValueError(f"source name {name!r} is not 1 to 64 lowercase letters, digits, '-' or '_'")
    options = dict(table)
    module = _module(options.pop("kind", None))
    try:
        checked: BaseModel = module.Options(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"source {name!r}: {problems}") from None
    return checked


def build(sources: Mapping[str, Mapping[str, Any]]) -> dict[str, SourceSystem]:
    """Source name -> source system, for every configured one."""
    return {name: _module(table["kind"]).create(name, check(name, table)) for name, table in sources.items()}
