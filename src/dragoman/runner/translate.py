"""One document through the whole translation: take apart, settle the source language (detect it if
asked), protect glossary terms, translate, put back. Shared by job tasks and the synchronous
single-document call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dragoman.abort import AbortCheck, never_abort
from dragoman.domain.jobs import charged_characters, delivered_unchanged
from dragoman.domain.specs import AUTO_LANGUAGE, DocumentWarning, primary_language
from dragoman.engines.base import Engine, ProgressCallback
from dragoman.engines.detect import CONFIRM_CHARACTERS, SAMPLE_CHARACTERS, confirm_language, detect_language
from dragoman.errors import UnsupportedLanguage
from dragoman.formats.documents import DocumentFormat, ExtractedDocument, extract, inject
from dragoman.formats.glossary import Glossary, apply_glossary
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.formats.stream import visible_text

__all__ = ["Translated", "translate_document"]

_SAMPLE_SEGMENTS = 200  # the detector reads the visible text of at most this many first segments


@dataclass(frozen=True, slots=True)
class Translated:
    output: bytes
    characters: int  # what a reader sees of the source, in characters
    source_language: str  # as designated, or as detected
    unchanged: bool = False  # already in the target language: `output` is the source's bytes as they were
    warnings: tuple[DocumentWarning, ...] = ()  # what the output leaves untranslated (formats.coverage)

    @property
    def billed_characters(self) -> int:
        """lifecycle rule 5: the source's characters, or 0 for a document delivered unchanged."""
        return charged_characters(self.characters, unchanged=self.unchanged)


def translate_document(
    engine: Engine,
    data: bytes,
    document_format: DocumentFormat,
    source: str | None,
    target: str,
    glossary: Glossary = (),
    *,
    confirm_source: bool = False,
    should_abort: AbortCheck = never_abort,
    on_progress: ProgressCallback | None = None,
    on_extracted: Callable[[int], None] | None = None,
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> Translated:
    """Translate one document within `limits`. `source` None or AUTO_LANGUAGE: detected among the
    engine's languages and the target. A document in the target language, named or detected, comes
    back unchanged (rule 5). With `confirm_source`, a named source language the detector is all but
    certain is wrong fails the document (`domain.specs.checks_designated_source`). `on_extracted` is
    told the document's characters as soon as it is taken apart, before it is translated.

    Raises DocumentError (this document cannot be translated; SourceLanguageMismatch among them),
    LanguageNotDetected, UnsupportedLanguage (a detected language no pair reads), EngineError, and
    dragoman.abort.Aborted as soon as `should_abort` says so, converters included."""
    wanted, target = target, primary_language(target)  # a locale (`es-MX`) is written in its language
    if not engine.supports(AUTO_LANGUAGE, target):  # the engine's own answer: it may look again
        raise UnsupportedLanguage(f"no installed engine translates into {wanted!r}")
    document = extract(data, document_format, limits=limits, should_abort=should_abort)
    try:
        if on_extracted is not None:
            on_extracted(document.characters)
        source = _source_language(engine, document, source, target, confirm=confirm_source)
        if delivered_unchanged(source, target):
            document.discard()
            return Translated(data, document.characters, source, unchanged=True)
        if not engine.supports(source, target):
            raise UnsupportedLanguage(
                f"The document is in {source!r}, and no installed engine translates it into {wanted!r}.",
                source=source,
            )
        segments, restore = apply_glossary(document.segments, glossary)
        translated = engine.translate(segments, source, target, should_abort=should_abort, on_progress=on_progress)
    except BaseException:
        document.discard()
        raise
    data = inject(document, restore(translated), should_abort=should_abort, target_language=wanted)
    return Translated(data, document.characters, source, warnings=tuple(document.warnings))  # rebuilding adds some


def _source_language(
    engine: Engine, document: ExtractedDocument, source: str | None, target: str, *, confirm: bool
) -> str:
    """The document's source language: the named one, or the detected one. Candidates are every
    language the engine knows and the target (a document may already be in it)."""
    named = None if source == AUTO_LANGUAGE else source
    if named is not None and (named == target or not confirm):
        return named
    candidates = engine.known_languages() | {target}
    if named is None:
        return detect_language(_sample(document, SAMPLE_CHARACTERS), candidates).language
    confirm_language(_sample(document, CONFIRM_CHARACTERS), named, candidates)
    return named


def _sample(document: ExtractedDocument, characters: int) -> str:
    """What the detector reads: the visible text of the first segments, about `characters` of it,
    without taking apart more of a long document than that needs."""
    parts: list[str] = []
    size = 0
    for segment in document.segments[:_SAMPLE_SEGMENTS]:
        parts.append(visible_text(segment[: 4 * characters]))
        size += len(parts[-1]) + 1
        if size >= characters:
            break
    return " ".join(parts)
