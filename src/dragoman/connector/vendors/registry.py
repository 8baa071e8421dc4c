"""The vendors a service offers, built from its settings.

`DRAGOMAN_CONNECTOR_VENDORS` (JSON) or the `[connector_vendors.<name>]` tables of the DRAGOMAN_CONFIG
file name each vendor and its `kind`; the rest of its table is that kind's options, checked by the
kind module's `Options` model when the settings are loaded. The `local` vendor (this service's own
batch jobs) is always offered, under the name `local`, unless the settings give that name to another
vendor.

Each kind is a module of this package exposing `Options` (a pydantic model, `extra="forbid"`) and
`create(name, options, service) -> Vendor`; a kind module imports its client library (the Azure SDK,
boto3) only when a vendor of its kind is created.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from dragoman.connector.vendors.base import Vendor

__all__ = ["KINDS", "MAX_NAME", "build", "check"]

KINDS: dict[str, str] = {
    "local": "dragoman.connector.vendors.local",
    "azure": "dragoman.connector.vendors.azure",
    "amazon": "dragoman.connector.vendors.amazon",
    "human": "dragoman.connector.vendors.human",
}
MAX_NAME = 50  # connector_jobs.vendor (String(50)) records the name a job is sent to
NAME = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{MAX_NAME - 1}}}$")


def _module(kind: object) -> ModuleType:
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(KINDS))} (got {kind!r})")
    return importlib.import_module(KINDS[kind])


def check(name: str, table: Mapping[str, Any]) -> BaseModel:
    """The options of vendor `name` as its kind reads them. Raises ValueError saying what is wrong
    (an unusable name, an unknown kind, a missing or unknown option)."""
    if not NAME.match(name):
        raise ValueError(
            f"vendor name {name[:80]!r} is not 1 to {MAX_NAME} lowercase letters, digits, '-' or '_' "
            "(starting with a letter or digit)"
        )
    options = dict(table)
    module = _module(options.pop("kind", None))
    try:
        options_model: BaseModel = module.Options(**options)
        return options_model
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"vendor {name!r}: {problems}") from None


def build(service: object, vendors: Mapping[str, Mapping[str, Any]]) -> dict[str, Vendor]:
    """Vendor name -> vendor, for a `dragoman.service.Dragoman`: `local` plus every configured one."""
    built: dict[str, Vendor] = {}
    if "local" not in vendors:
        built["local"] = _module("local").create("local", _module("local").Options(), service)
    for name, table in vendors.items():
        options = check(name, table)
        built[name] = _module(table["kind"]).create(name, options, service)
    return built
