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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dragoman.connector.kinds import Kinds

if TYPE_CHECKING:
    from dragoman.connector.vendors.base import Vendor

__all__ = ["KINDS", "MAX_NAME", "build", "check"]

MAX_NAME = 50  # connector_jobs.vendor (String(50)) records the name a job is sent to
KINDS = Kinds(
    "vendor",
    {
        "local": "dragoman.connector.vendors.local",
        "azure": "dragoman.connector.vendors.azure",
        "amazon": "dragoman.connector.vendors.amazon",
        "human": "dragoman.connector.vendors.human",
    },
    MAX_NAME,
)


def check(name: str, table: Mapping[str, Any]) -> BaseModel:
    """The options of vendor `name` as its kind reads them. Raises ValueError (`Kinds.check`)."""
    return KINDS.check(name, table)


def build(service: object, vendors: Mapping[str, Mapping[str, Any]]) -> dict[str, Vendor]:
    """Vendor name -> vendor, for a `dragoman.service.Dragoman`: `local` plus every configured one."""
    built: dict[str, Vendor] = {}
    if "local" not in vendors:
        local = KINDS.module("local")
        built["local"] = local.create("local", local.Options(), service)
    for name, table in vendors.items():
        options = check(name, table)
        built[name] = KINDS.module(table["kind"]).create(name, options, service)
    return built
