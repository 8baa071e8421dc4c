"""Source-language detection for jobs that do not name one: the commonest function words of each
language the installed pairs read, counted over the document's first few thousand words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from dragoman.errors import Invalid

__all__ = ["LanguageNotDetected", "detect_language"]

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SAMPLE_WORDS = 5000
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split(" "))
    for code, words in {
        "en": "the of and to in is that it for was on are with as be this have from by not but you at",
        "es": "el la de que y en los se del las un por con no una su para es al lo como más pero sus le",
        "ca": "el la de i que a en els les per amb no una un és del dels al com però més seu hi ha",
        "fr": "le la de et les des est un une du en que qui pas pour dans sur au avec ce il ne",
        "pt": "o a de e que os do da em um uma para com não no na se por mais as dos é ao",
    }.items()
}


class LanguageNotDetected(Invalid):
    """The document's source language could not be told; name it in the request."""

    code = "LanguageNotDetected"


def detect_language(text: str, candidates: Iterable[str]) -> str:
    """The candidate language whose function words cover most of the text's words."""
    words = [word.lower() for word in _WORD.findall(text[: _SAMPLE_WORDS * 12])][:_SAMPLE_WORDS]
    scores = {
        code: sum(word in _FUNCTION_WORDS[code] for word in words) for code in candidates if code in _FUNCTION_WORDS
    }
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        known = ", ".join(sorted(scores)) or "none"
        raise LanguageNotDetected(
            f"the document's language could not be detected among the installed source languages ({known});"
            " name the source language"
        )
    return ranked[0][0]
