"""Which language a document is written in: the one detector behind every front door.

The model is py3langid's (a maintained fork of langid.py: naive Bayes over byte n-grams, 139
languages and `zxx`, "no language", shipped inside the wheel). It was chosen by measurement
(`bench/detect.py`, README "Language detection"): on short real UI strings from Django's and
Sphinx's translations it was more accurate than lingua-language-detector and fastText's compact
model among the installed languages, and says wrong things less often at a given confidence. It also
knows languages Apertium translates that lingua does not (gl, oc, an, br, mt, se, ...).

Shapes:
- `detect_language(text, candidates) -> Detection`: the language of `text`, normally one of
  `candidates` (ISO 639-1 codes, as `engines.languages.short_code` gives; the installed engine's
  languages plus the target), with its confidence in [0, 1] among them. A language outside the
  candidates is answered only when the text is in it beyond doubt (FOREIGN_CONFIDENCE among every
  language the model knows): the caller then names it instead of reading the text as a wrong one.
  When such a language is only the likeliest (FOREIGN_DOUBT), the text is not read as a candidate:
  LanguageNotDetected, with that language as the likeliest.
- `confirm_language(text, designated, candidates)`: returns if nothing contradicts the designated
  language; raises SourceLanguageMismatch when the detector is all but certain (MISMATCH_CONFIDENCE)
  that the text is in another one.

Errors: LanguageNotDetected (below MIN_CONFIDENCE: said, not guessed; `likeliest` holds the best
guess, for Amazon's DetectedLanguageCode), SourceLanguageMismatch. Candidates the model does not know
(`ast`, say) cannot be detected and are left out.

Only the first SAMPLE_CHARACTERS characters are read (about 3 ms). The model (about 90 MB resident,
whatever the candidates) is loaded once per process on first use, under a lock; each candidate set
gets a view restricted to its languages (a copy of their columns only), cached. Classification only
reads the model, so one detector serves every thread.
"""

from __future__ import annotations

import copy
import logging
import lzma
import os
import shutil
import threading
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING

from dragoman.errors import DocumentError, Invalid

if TYPE_CHECKING:  # numpy and py3langid load with the model (`preload`), not with this module
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "CONFIRM_CHARACTERS",
    "CONFIRM_FIRST_CHARACTERS",
    "FOREIGN_CONFIDENCE",
    "FOREIGN_DOUBT",
    "MIN_CONFIDENCE",
    "MISMATCH_CONFIDENCE",
    "SAMPLE_CHARACTERS",
    "Detection",
    "LanguageNotDetected",
    "SourceLanguageMismatch",
    "confirm_language",
    "detect_language",
    "detectable",
    "model_cache_file",
    "preload",
    "preload_here",
]

# Thresholds measured with bench/detect.py on short real sentences (Django's and Sphinx's
# translations, en/es/ca): at 0.7 about 0.3% of them are read as a wrong candidate and 6-10% are
# refused; a language outside the candidates was never claimed at 0.9 for text in one of them; and a
# correctly designated language was never contradicted at 0.95.
# Text in a language outside the candidates (Portuguese, Italian, German for an en/es/ca engine) is
# still read as the likeliest candidate when only the candidates are compared: when the model's
# favourite among every language is outside them at FOREIGN_DOUBT or more, the text is not read as a
# candidate at all. Measured (bench/detect.py, Django's pt/it/de/fr/nl/gl/oc strings against en/es/ca):
# claims of a wrong candidate fall from 29% to 9% of such strings, while 2% more of the strings in a
# candidate language are refused (said "not detected", never read wrongly).
MIN_CONFIDENCE = 0.7
FOREIGN_DOUBT = 0.4
FOREIGN_CONFIDENCE = 0.9
MISMATCH_CONFIDENCE = 0.99
SAMPLE_CHARACTERS = 10_000
# Confirming a named language reads less: a text that is "beyond doubt" another language (at
# MISMATCH_CONFIDENCE) is so within its first 2,000 characters, and every document of a job pays it
# (reading 10,000 cost a tenth of the runner's throughput on a job of 4 KB documents).
CONFIRM_CHARACTERS = 2_000
# ...and first its first CONFIRM_FIRST_CHARACTERS: when they are in the named language beyond doubt
# (MISMATCH_CONFIDENCE, the doubt a mismatch needs the other way), the rest of the sample could
# contradict it only by being another language beyond doubt, outweighing them: a document in two
# languages, which the 2,000 characters cut at an arbitrary place too. This halves what every
# document of a job pays (0.2 ms of 0.4, more while Apertium fills every core).
CONFIRM_FIRST_CHARACTERS = 600

_NO_LANGUAGE = "zxx"
_MODEL_CODES = {"nb": "no"}  # our code -> the model's (it merged Bokmål into `no`)
_OUR_CODES = {model: ours for ours, model in _MODEL_CODES.items()}


@dataclass(frozen=True, slots=True)
class Detection:
    language: str  # ISO 639-1 code (or the model's code for a language without one)
    confidence: float  # 0..1: among the candidates, or among every language for one outside them

    def __str__(self) -> str:
        return f"{self.language!r} (confidence {self.confidence:.2f})"


class LanguageNotDetected(Invalid):
    """The document's source language could not be told; name it in the request."""

    code = "LanguageNotDetected"

    def __init__(self, message: str | None = None, *, likeliest: Detection | None = None) -> None:
        super().__init__(message)
        self.likeliest = likeliest


class SourceLanguageMismatch(DocumentError):
    """The document is, beyond doubt, in another language than the one named for it."""

    code = "SourceLanguageMismatch"

    def __init__(self, message: str | None = None, *, detected: Detection) -> None:
        super().__init__(message)
        self.detected = detected


log = logging.getLogger("dragoman.detect")
_lock = threading.Lock()
_loaded: LanguageIdentifier | None = None


def preload() -> None:
    """Start loading the model on a background thread (about 0.4 s, mostly decompression, which
    releases the GIL): a command that will detect or confirm a language loads it while it does its
    other start-up work, instead of after."""
    threading.Thread(target=_model, name="dragoman-detector-preload", daemon=True).start()


def preload_here() -> None:
    """Load the model now, on this thread (a warm-start helper, which must start no thread)."""
    _model()


def _model() -> LanguageIdentifier:
    """Every language the model knows, probabilities normalised; loaded once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load_identifier()
    return _loaded


def model_cache_file() -> Path:
    """Where the model is kept decompressed: the wheel ships it LZMA-compressed (about 0.3 s to
    decompress at every start); read uncompressed it loads in about 0.04 s. Per user
    (`$XDG_CACHE_HOME/dragoman`, else `~/.cache/dragoman`), named by the py3langid version."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "dragoman" / f"py3langid-{package_version('py3langid')}-model.npz"


def _load_identifier() -> LanguageIdentifier:
    """The model from the decompressed cache, made on first use; from the wheel's own file when the
    cache cannot be made or read (a read-only home, a damaged file)."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import _to_array as to_array  # the model's own array layout (py3langid 0.4)

    cached = model_cache_file()
    try:
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f".{cached.name}.{os.getpid()}.part")
            with lzma.open(MODEL_DIR / MODEL_FILE) as source, partial.open("wb") as target:
                shutil.copyfileobj(source, target, length=1 << 20)
            os.replace(partial, cached)  # whole or absent: another process may be reading it
        with np.load(cached, allow_pickle=False) as data:
            return LanguageIdentifier(
                np.asarray(data["ptc"]),
                np.asarray(data["pc"]),
                data["classes"].tolist(),
                to_array(data["nextmove"]),
                data["out_feat"].tolist(),
                norm_probs=True,
                tk_row=to_array(data["nextmove_row"]),
            )
    except (OSError, ValueError, KeyError, lzma.LZMAError) as exc:
        log.warning("the language model cache %s cannot be used (%s); reading the packaged model", cached, exc)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=32)
def _restricted(model_codes: frozenset[str]) -> LanguageIdentifier:
    """A view of the model that chooses among `model_codes` only (two or more it knows)."""
    view = copy.copy(_model())  # shares the model's arrays; set_languages replaces, never mutates, them
    view.set_languages(sorted(model_codes))
    return view


def _model_code(code: str) -> str:
    return _MODEL_CODES.get(code, code)


def _our_code(code: str) -> str:
    return _OUR_CODES.get(code, code)


@lru_cache(maxsize=1)
def _labels() -> frozenset[str]:
    return frozenset(_model().labels)


def detectable(code: str) -> bool:
    """Whether the detector can recognise this language (loads the model on first use)."""
    return _model_code(code) in _labels()


def _among(sample: str, model_codes: frozenset[str]) -> Detection:
    """The likeliest of `model_codes` (known to the model) and its probability among them."""
    if len(model_codes) == 1:  # nothing to choose from: how likely it is among every language
        (only,) = model_codes
        score = dict(_model().rank(sample)).get(only, 0.0)
        return Detection(_our_code(only), float(score))
    language, confidence = _restricted(model_codes).classify(sample)
    return Detection(_our_code(language), float(confidence))


def _overall(sample: str) -> Detection:
    language, confidence = _model().classify(sample)
    return Detection(language, float(confidence))  # the model's code: compared with model codes


def detect_language(text: str, candidates: Collection[str]) -> Detection:
    """The language `text` is written in (see the module's docstring). Raises LanguageNotDetected."""
    sample = text[:SAMPLE_CHARACTERS]
    known = frozenset(_model_code(code) for code in candidates if detectable(code))
    if not known:
        named = ", ".join(sorted(candidates)) or "(none)"
        raise LanguageNotDetected(f"none of the languages {named} can be detected; name the source language")
    overall = _overall(sample)
    if overall.language not in known and overall.confidence >= FOREIGN_CONFIDENCE:
        if overall.language == _NO_LANGUAGE:
            raise LanguageNotDetected("the document has no text in any language to detect; name the source language")
        return Detection(_our_code(overall.language), overall.confidence)
    if overall.language not in known | {_NO_LANGUAGE} and overall.confidence >= FOREIGN_DOUBT:
        foreign = Detection(_our_code(overall.language), overall.confidence)
        raise LanguageNotDetected(
            f"the text reads most like {foreign}, which is not among {', '.join(sorted(candidates))};"
            " its language could not be told with confidence: name the source language",
            likeliest=foreign,
        )
    best = _among(sample, known)
    if best.confidence < MIN_CONFIDENCE:
        raise LanguageNotDetected(
            f"the document's language could not be detected with confidence among {', '.join(sorted(candidates))}"
            f" (likeliest {best}); name the source language",
            likeliest=best,
        )
    return best


def confirm_language(text: str, designated: str, candidates: Collection[str]) -> None:
    """Raise SourceLanguageMismatch if `text` is, beyond doubt, not in `designated`: another of
    `candidates` (or any language, for the whole model) at MISMATCH_CONFIDENCE or more. A language
    the model does not know is never contradicted."""
    if not detectable(designated):
        return
    sample = text[:CONFIRM_CHARACTERS]
    if len(sample) > CONFIRM_FIRST_CHARACTERS:
        first = _overall(sample[:CONFIRM_FIRST_CHARACTERS])
        if first.language == _model_code(designated) and first.confidence >= MISMATCH_CONFIDENCE:
            return
    known = frozenset(_model_code(code) for code in {*candidates, designated} if detectable(code))
    overall = _overall(sample)
    detected = None
    if overall.language == _model_code(designated):
        return  # the likeliest of all: the likeliest among the candidates too, so no second look
    if overall.language not in known | {_NO_LANGUAGE} and overall.confidence >= MISMATCH_CONFIDENCE:
        detected = Detection(_our_code(overall.language), overall.confidence)
    else:
        best = _among(sample, known)
        if best.language != designated and best.confidence >= MISMATCH_CONFIDENCE:
            detected = best
    if detected is not None:
        raise SourceLanguageMismatch(
            f"the document reads as {detected}, not as the source language named for it, {designated!r};"
            " name its language, or have it detected",
            detected=detected,
        )
