"""Plain text without Transfuse: paragraphs become stream blocks in-process.

Starting `tf-extract` and `tf-inject` costs two process start-ups per document, which for short text
files is more than the translation itself. Plain text needs none of Transfuse's skeleton handling:
paragraphs are separated by blank lines, and only Apertium's reserved characters need escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PlainTextSkeleton", "escape", "rebuild", "take_apart", "unescape"]

_RESERVED = re.compile(r"([\\\[\]^$/@<>{}])")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_SUPERBLANK = re.compile(r"(?<!\\)\[\]")
_PARAGRAPH_BREAK = re.compile(r"(\n[^\S\n]*\n\s*)")  # a blank line, CRLF or not, and any whitespace after
_BOM = "\ufeff"


def escape(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def unescape(stream: str) -> str:
    return _ESCAPED.sub(r"\1", _SUPERBLANK.sub("", stream))


@dataclass(frozen=True, slots=True)
class PlainTextSkeleton:
    """Everything around the paragraphs: `gaps[i]` comes before paragraph i, `gaps[-1]` after the last."""

    gaps: tuple[str, ...]


def take_apart(text: str) -> tuple[PlainTextSkeleton, list[str], int]:
    """Paragraphs (escaped for the engine), the skeleton to put them back, and the visible characters."""
    pending = _BOM if text.startswith(_BOM) else ""
    text = text.removeprefix(_BOM)
    gaps: list[str] = []
    segments: list[str] = []
    characters = 0
    for index, piece in enumerate(_PARAGRAPH_BREAK.split(text)):
        if index % 2:  # a separator
            pending += piece
            continue
        body = piece.strip()
        if not body:
            pending += piece
            continue
        start = piece.index(body[0])
        gaps.append(pending + piece[:start])
        pending = piece[start + len(body) :]
        segments.append(escape(body))
        characters += len(body)
    gaps.append(pending)
    return PlainTextSkeleton(tuple(gaps)), segments, characters


def rebuild(skeleton: PlainTextSkeleton, translated: list[str]) -> str:
    if len(translated) + 1 != len(skeleton.gaps):
        raise ValueError("one translation is needed per paragraph")
    parts = [skeleton.gaps[0]]
    for segment, gap in zip(translated, skeleton.gaps[1:], strict=True):
        parts += [unescape(segment), gap]
    return "".join(parts)
