"""A zip package (Office, OpenDocument) written again with some of its members replaced: every other
member copied as it was, in its place and with its own entry (name, date, compression: an
OpenDocument's `mimetype` stays first and stored).

Shapes: `with_members(package, replaced, renamed) -> bytes`; the same bytes when both are empty.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Mapping

__all__ = ["with_members"]


def with_members(package: bytes, replaced: Mapping[str, bytes], renamed: Mapping[str, str] | None = None) -> bytes:
    """`package` with each member named in `replaced` holding its new content, and each named in
    `renamed` under its new name (its content and entry otherwise as they were)."""
    if not replaced and not renamed:
        return package
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = replaced.get(member.filename)
            content = content if content is not None else source.read(member)
            if renamed and member.filename in renamed:
                entry = copy.copy(member)
                entry.filename = renamed[member.filename]
                target.writestr(entry, content)
            else:
                target.writestr(member, content)
    return out.getvalue()
