"""Named things of several kinds configured from settings tables (vendors, source systems): one
way to check a name, find its kind's module and read its options.

A table names its `kind`; the rest is that kind's options, read by the kind module's `Options`
model (pydantic, `extra="forbid"`). A kind module is imported only when a table of its kind is read.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["Kinds"]


class Kinds:
    """The kinds of one sort of thing (`what`: "vendor", "source"), by name -> module path, with
    names of 1 to `max_name` lowercase letters, digits, '-' or '_'."""

    def __init__(self, what: str, modules: Mapping[str, str], max_name: int) -> None:
        self.what = what
        self.modules = dict(modules)
        self.max_name = max_name
        self._name = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{max_name - 1}}}$")

    def module(self, kind: object) -> ModuleType:
        """The module of `kind`. Raises ValueError naming the kinds there are."""
        if not isinstance(kind, str) or kind not in self.modules:
            raise ValueError(f"kind must be one of {', '.join(sorted(self.modules))} (got {kind!r})")
        return importlib.import_module(self.modules[kind])

    def check(self, name: str, table: Mapping[str, Any]) -> BaseModel:
        """The options of `name` as its kind reads them. Raises ValueError saying what is wrong (an
        unusable name, an unknown kind, a missing or unknown option)."""
        if not self._name.match(name):
            raise ValueError(
                f"{self.what} name {name[:80]!r} is not 1 to {self.max_name} lowercase letters, digits, "
                "'-' or '_' (starting with a letter or digit)"
            )
        options = dict(table)
        module = self.module(options.pop("kind", None))
        try:
            checked: BaseModel = module.Options(**options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'options'}: {error['msg']}" for error in exc.errors()
            )
            raise ValueError(f"{self.what} {name!r}: {problems}") from None
        return checked
