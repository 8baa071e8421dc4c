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
from dragoman.domain.specs import AUTO_LANGUAGE

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

    def supports(self, source: str, target: str) -> bool:
        """Whether `source` translates into `target`; with AUTO_LANGUAGE, whether any source does."""
        pairs = self.languages()
        if source == AUTO_LANGUAGE:
            return any(pair.target == target for pair in pairs)
        return LanguagePair(source, target) in pairs

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

    def close(self) -> None:  # noqa: B027 - a no-op hook engines override when they hold resources
        """Release processes and connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
