"""The interface every translation engine implements.

Segments are in Apertium's stream format (see `dragoman.formats.stream`): that is what document
formats extract, so inline formatting travels through the engine as blanks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from dragoman.abort import AbortCheck, never_abort
from dragoman.domain.specs import AUTO_LANGUAGE, primary_language

__all__ = ["Engine", "LanguagePair", "ProgressCallback"]

ProgressCallback = Callable[[int, int], None]  # (segments done, segments total)


@dataclass(frozen=True, slots=True, order=True)
class LanguagePair:
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source}->{self.target}"


class Engine(ABC):
    name: str = "engine"

    @abstractmethod
    def languages(self) -> list[LanguagePair]:
        """Every pair this engine can translate, as short codes."""

    def known_languages(self) -> frozenset[str]:
        """Every language some pair reads or writes, as short codes."""
        return frozenset(code for pair in self.languages() for code in (pair.source, pair.target))

    def supports(self, source: str, target: str) -> bool:
        """Whether a document in `source` can be delivered in `target`: a pair translates it, or it
        is already in `target` and the engine knows that language (delivered unchanged, docs/lifecycle.md
        rule 5). With AUTO_LANGUAGE, whether any document can: `target` is a language it knows.
        Locale tags are read by their language (`es-MX` as `es`)."""
        source, target = primary_language(source), primary_language(target)
        if source in (AUTO_LANGUAGE, target):
            return target in self.known_languages()
        return self.has_pair(LanguagePair(source, target))

    def has_pair(self, pair: LanguagePair) -> bool:
        """Whether a pair translates `pair.source` into `pair.target` (short codes)."""
        return pair in self.languages()

    @abstractmethod
    def translate(
        self,
        segments: Sequence[str],
        source: str,
        target: str,
        *,
        should_abort: AbortCheck = never_abort,
        on_progress: ProgressCallback | None = None,
    ) -> list[str]:
        """Translate each segment, in order. Checks `should_abort` between segments and while waiting,
        and raises `dragoman.abort.Aborted` once it says yes."""

    def warm(self, source: str, target: str) -> None:  # noqa: B027 - a no-op hook engines override
        """Get ready to translate `source` into `target` (short codes a pair translates) ahead of the
        first request, such as starting processes; by default nothing."""

    def close(self) -> None:  # noqa: B027 - a no-op hook engines override when they hold resources
        """Release processes and connections."""

    def refresh(self) -> None:  # noqa: B027 - a no-op hook engines override when what they offer can change
        """Look again at what is installed, as a long-lived runner does now and then while idle (a
        language pair installed or removed under it); by default nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
