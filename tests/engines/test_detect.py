"""Language detection: among the installed languages and the target, confident or said not to be."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dragoman.engines.detect import (
    CONFIRM_FIRST_CHARACTERS,
    MISMATCH_CONFIDENCE,
    Detection,
    LanguageNotDetected,
    SourceLanguageMismatch,
    confirm_language,
    detect_language,
    detectable,
)

INSTALLED = ["en", "es", "ca"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # the issue's own cases: short texts the word list failed or misread
        ("hello world", "en"),
        ("Good morning, everybody!", "en"),
        ("I like dogs.", "en"),
        ("Good morning", "en"),
        ("Hola, ¿cómo estás?", "es"),
        ("Me gusta el café.", "es"),
        ("El gato es negro.", "es"),
        ("M'agraden els gossos.", "ca"),
        ("Bon dia a tothom.", "ca"),
        ("The government announced new measures to improve public health in the city.", "en"),
        ("El govern va anunciar noves mesures per millorar la salut pública de la ciutat.", "ca"),
    ],
)
def test_short_texts_are_told_apart(text: str, language: str) -> None:
    detection = detect_language(text, INSTALLED)
    assert detection.language == language
    assert 0.7 <= detection.confidence <= 1.0


def test_a_language_outside_the_candidates_is_named_when_beyond_doubt() -> None:
    french = "Le gouvernement a annoncé de nouvelles mesures pour améliorer la santé publique dans la ville."
    assert detect_language(french, INSTALLED).language == "fr"


@pytest.mark.parametrize(
    ("text", "language"),
    [  # red team, issue 10: each was read as a candidate and "translated" (or delivered unchanged)
        ("Eu gosto de cachorros.", "pt"),
        ("Mi piacciono i cani.", "it"),
        ("Danke schön!", "de"),
    ],
)
def test_short_text_likeliest_in_a_language_outside_the_candidates_is_said_not_guessed(
    text: str, language: str
) -> None:
    with pytest.raises(LanguageNotDetected) as raised:
        detect_language(text, INSTALLED)
    assert raised.value.likeliest is not None and raised.value.likeliest.language == language


def test_the_target_language_is_a_candidate() -> None:
    portuguese = "O governo anunciou novas medidas para melhorar a saúde pública da cidade e do campo."
    assert detect_language(portuguese, [*INSTALLED, "pt"]).language == "pt"


@pytest.mark.parametrize("text", ["12345 67890 !!!", "", "ok"])
def test_text_without_clues_is_said_not_guessed(text: str) -> None:
    with pytest.raises(LanguageNotDetected, match="name the source language"):
        detect_language(text, INSTALLED)


def test_a_low_confidence_error_carries_the_likeliest_language() -> None:
    with pytest.raises(LanguageNotDetected) as raised:
        detect_language("Hello", INSTALLED)
    assert raised.value.code == "LanguageNotDetected"
    likeliest = raised.value.likeliest
    assert likeliest is not None and likeliest.language in INSTALLED and likeliest.confidence < 0.7


def test_candidates_the_model_cannot_detect_are_left_out() -> None:
    assert not detectable("ast") and detectable("gl") and detectable("nb")
    assert detect_language("I like dogs and cats.", ["ast", "en", "es"]).language == "en"
    with pytest.raises(LanguageNotDetected, match="can be detected"):
        detect_language("I like dogs.", ["ast"])


def test_a_designated_language_is_contradicted_only_beyond_doubt() -> None:
    english = "The house is red and the garden behind it is very big."
    confirm_language(english, "en", INSTALLED)  # right: nothing said
    with pytest.raises(SourceLanguageMismatch) as raised:
        confirm_language(english, "ca", INSTALLED)
    assert raised.value.code == "SourceLanguageMismatch"
    assert raised.value.detected.language == "en" and raised.value.detected.confidence >= MISMATCH_CONFIDENCE
    confirm_language("Hello", "ca", INSTALLED)  # too little text to be sure: translated as told
    confirm_language(english, "ast", INSTALLED)  # a language the model does not know is never contradicted


def test_one_detector_serves_many_threads() -> None:
    texts = ["I like dogs.", "Me gusta el café.", "M'agraden els gossos."] * 20
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda text: detect_language(text, INSTALLED).language, texts))
    assert found == ["en", "es", "ca"] * 20


def test_a_detection_reads_well() -> None:
    assert str(Detection("en", 0.987)) == "'en' (confidence 0.99)"


def test_the_model_is_kept_decompressed_and_a_damaged_copy_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dragoman.engines import detect

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh = detect._load_identifier()  # made on first use
    assert detect.model_cache_file().parent == tmp_path / "dragoman" and detect.model_cache_file().stat().st_size > 0
    sentence = "El govern va anunciar noves mesures per millorar la salut pública de la ciutat."
    assert fresh.classify(sentence) == detect._load_identifier().classify(sentence)  # read back the same
    detect.model_cache_file().write_bytes(b"not a model")
    assert detect._load_identifier().classify(sentence)[0] == "ca"  # the packaged model instead


def test_a_long_document_is_confirmed_from_its_beginning_and_still_contradicted() -> None:
    """Past CONFIRM_FIRST_CHARACTERS, a beginning beyond doubt in the named language confirms it; one
    in another language is still read as far as CONFIRM_CHARACTERS and contradicted."""
    english = " ".join(["The house is red and the garden behind it is very big."] * 60)
    catalan = " ".join(["La casa és vermella i el jardí del darrere és molt gran."] * 60)
    assert len(english) > CONFIRM_FIRST_CHARACTERS and len(catalan) > CONFIRM_FIRST_CHARACTERS
    confirm_language(english, "en", INSTALLED)
    confirm_language(catalan, "ca", INSTALLED)
    with pytest.raises(SourceLanguageMismatch) as raised:
        confirm_language(catalan, "en", INSTALLED)
    assert raised.value.detected.language == "ca"
    with pytest.raises(SourceLanguageMismatch) as raised:
        confirm_language(english, "es", INSTALLED)
    assert raised.value.detected.language == "en"
    # an English beginning, then Catalan for the rest of the sample: confirmed from the beginning
    confirm_language(english[:CONFIRM_FIRST_CHARACTERS] + catalan, "en", INSTALLED)
