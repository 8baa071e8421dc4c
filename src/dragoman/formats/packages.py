"""A zip package (Office, OpenDocument) written again with some of its members replaced: every other
member copied as it was, in its place and with its own entry (name, date, compression: an
OpenDocument's `mimetype` stays first and stored).

Shape: `with_members(package, replaced) -> bytes`; the same bytes when `replaced` is empty.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

__all__ = ["with_members"]


def with_members(package: bytes, replaced: Mapping[str, bytes]) -> bytes:
    """`package` with each member named in `replaced` holding its new content."""
    if not replaced:
        return package
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = replaced.get(member.filename)
            target.writestr(member, content if content is not None else source.read(member))
    return out.getvalue()
