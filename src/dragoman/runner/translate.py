"""One document through the whole translation: take apart, detect the language if asked, protect
glossary terms, translate, put back. Shared by job tasks and the synchronous single-document call."""

from __future__ import annotations

from dataclasses import dataclass

from dragoman.abort import AbortCheck, never_abort
from dragoman.domain.specs import AUTO_LANGUAGE
from dragoman.engines.base import Engine, ProgressCallback
from dragoman.engines.detect import detect_language
from dragoman.errors import UnsupportedLanguage
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.glossary import Glossary, apply_glossary
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.formats.stream import visible_text

__all__ = ["Translated", "translate_document"]


@dataclass(frozen=True, slots=True)
class Translated:
    output: bytes
    characters: int  # billable: what a reader sees of the source
    source_language: str


def translate_document(
    engine: Engine,
    data: bytes,
    file_name: str,
    source: str | None,
    target: str,
    glossary: Glossary = (),
    *,
    should_abort: AbortCheck = never_abort,
    on_progress: ProgressCallback | None = None,
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> Translated:
    """Translate one document within `limits`. Raises DocumentError (this document cannot be
    translated), UnsupportedLanguage, EngineError, and dragoman.abort.Aborted as soon as
    `should_abort` says so, converters included."""
    document = extract(data, format_for(file_name), limits=limits, should_abort=should_abort)
    try:
        if source in (None, AUTO_LANGUAGE):
            readers = {pair.source for pair in engine.languages() if pair.target == target}
            if not readers:
                raise UnsupportedLanguage(f"no installed engine translates into {target!r}")
            sample = " ".join(visible_text(segment) for segment in document.segments[:200])
            source = detect_language(sample, readers)
        if source == target:
            raise UnsupportedLanguage(f"the document is already in {target!r}")
        segments, restore = apply_glossary(document.segments, glossary)
        translated = engine.translate(segments, source, target, should_abort=should_abort, on_progress=on_progress)
    except BaseException:
        document.discard()
        raise
    return Translated(inject(document, restore(translated), should_abort=should_abort), document.characters, source)
