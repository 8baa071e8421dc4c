"""Source-language detection among the installed source languages."""

from __future__ import annotations

import pytest

from dragoman.engines.detect import LanguageNotDetected, detect_language

ALL = ["en", "es", "ca", "fr", "pt"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The government announced new measures to improve public health in the city.", "en"),
        ("El gobierno anunció nuevas medidas para mejorar la salud pública de la ciudad.", "es"),
        ("El govern va anunciar noves mesures per millorar la salut pública de la ciutat i els pobles.", "ca"),
        ("Le gouvernement a annoncé de nouvelles mesures pour la santé publique dans la ville.", "fr"),
        ("O governo anunciou novas medidas para melhorar a saúde pública da cidade.", "pt"),
    ],
)
def test_each_language_is_told_apart(text: str, language: str) -> None:
    assert detect_language(text, ALL) == language


def test_only_candidates_are_considered() -> None:
    assert detect_language("El gobierno y la ciudad", ["es", "en"]) == "es"


def test_text_without_clues_is_an_error_asking_for_the_language() -> None:
    with pytest.raises(LanguageNotDetected, match="name the source language"):
        detect_language("12345 67890 !!!", ALL)
