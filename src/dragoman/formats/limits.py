"""What one document may cost once opened: the limits every format handler and converter keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["DEFAULT_LIMITS", "DocumentLimits"]

_MIB = 1024 * 1024


class _LimitSettings(Protocol):  # the fields of dragoman.config.Settings read here
    max_inflated_bytes: int
    max_inflation_ratio: float
    max_archive_members: int
    max_word_characters: int
    converter_seconds: float
    converter_memory_bytes: int


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Limits on one document. Defaults let every normal document through.

    - `max_inflated_bytes`: total uncompressed bytes of a zipped document (docx, pptx, odt, odp).
    - `max_inflation_ratio`: uncompressed ÷ compressed size, of the whole package and of each
      member, checked once a member or the package inflates past `ratio_floor_bytes`.
    - `max_archive_members`: files in a zipped document.
    - `max_word_characters`: longest word, or run of spaces, in a document's text or markup.
      Transfuse's time grows with the square of a word's length (a 40,000-letter word costs about a
      minute to take apart and more to put back), so longer ones are refused before it runs.
    - `converter_seconds`: wall-clock seconds of one converter run (and its CPU-seconds limit).
    - `converter_memory_bytes`: address space of one converter process; also the largest file it may write.
    """

    max_inflated_bytes: int = 256 * _MIB
    max_inflation_ratio: float = 500.0  # a repetitive but real .docx was seen at 231
    max_archive_members: int = 10_000
    max_word_characters: int = 1000
    converter_seconds: float = 120.0
    converter_memory_bytes: int = 2048 * _MIB
    ratio_floor_bytes: int = 1 * _MIB

    @classmethod
    def from_settings(cls, settings: _LimitSettings) -> DocumentLimits:
        """The limits configured in `dragoman.config.Settings`."""
        return cls(
            max_inflated_bytes=settings.max_inflated_bytes,
            max_inflation_ratio=settings.max_inflation_ratio,
            max_archive_members=settings.max_archive_members,
            max_word_characters=settings.max_word_characters,
            converter_seconds=settings.converter_seconds,
            converter_memory_bytes=settings.converter_memory_bytes,
        )


DEFAULT_LIMITS = DocumentLimits()
