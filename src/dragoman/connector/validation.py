"""What an entity's id, field names and texts may hold (pure).

An entity travels to vendors as XML (XLIFF for agencies), as documents (the local, Azure and
Amazon vendors) and in URLs (the REST API's `/connector/entities/{id}`). So:

- an id is 1 to 200 characters, none of them a control character (a NUL, a newline, a tab, DEL),
  and not `.` or `..` (URL clients collapse those path segments);
- a field name is 1 to 200 characters, none of them a control character;
- a text holds no character XML 1.0 cannot carry (the C0 controls but tab, line feed and carriage
  return; U+FFFE, U+FFFF; lone surrogates).

Source: XML 1.0 (Fifth Edition) §2.2 "Characters"; RFC 3986 §5.2.4 (dot segments).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from dragoman.errors import Invalid

__all__ = ["MAX_ID_CHARACTERS", "check_entity"]

MAX_ID_CHARACTERS = 200
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _control(text: str) -> str | None:
    """The first control character of `text`, named, or None."""
    for character in text:
        if unicodedata.category(character) == "Cc":
            return f"U+{ord(character):04X}"
    return None


def check_entity(entity_id: str, fields: Mapping[str, str]) -> None:
    """Raise Invalid, saying what and where, unless the id, every field name and every text may be
    sent to any vendor."""
    if not isinstance(entity_id, str) or not 1 <= len(entity_id) <= MAX_ID_CHARACTERS:
        raise Invalid(f"an entity id is 1 to {MAX_ID_CHARACTERS} characters")
    if entity_id in (".", ".."):
        raise Invalid(f"{entity_id!r} cannot be an entity id (a URL path treats it as a folder step)")
    if (found := _control(entity_id)) is not None:
        raise Invalid(f"the entity id {entity_id!r} holds a control character ({found})")
    for name, text in fields.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise Invalid("an entity's fields are names with text values")
        if not 1 <= len(name) <= 200:
            raise Invalid("an entity's field names are 1 to 200 characters")
        if (found := _control(name)) is not None:
            raise Invalid(f"the field name {name!r} of entity {entity_id!r} holds a control character ({found})")
        if (bad := _NOT_XML.search(text)) is not None:
            raise Invalid(
                f"the field {name!r} of entity {entity_id!r} holds a character no vendor can be sent "
                f"(U+{ord(bad.group(0)):04X}, at {bad.start()})"
            )
