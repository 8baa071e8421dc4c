"""Language codes: what users send (`en`, `EN`, `en-US`, `eng`) and what Apertium names its modes by."""

from __future__ import annotations

import re

__all__ = ["locale_tag", "normalize", "short_code"]

# ISO 639-2/3 codes used in Apertium pair names, mapped to the ISO 639-1 codes users send.
_THREE_TO_TWO = {
    "afr": "af",
    "ara": "ar",
    "arg": "an",
    "ast": "ast",
    "bel": "be",
    "bre": "br",
    "bul": "bg",
    "cat": "ca",
    "ces": "cs",
    "cym": "cy",
    "dan": "da",
    "deu": "de",
    "ell": "el",
    "eng": "en",
    "epo": "eo",
    "eus": "eu",
    "fin": "fi",
    "fra": "fr",
    "frp": "frp",
    "gle": "ga",
    "glg": "gl",
    "hbs": "sh",
    "hin": "hi",
    "ind": "id",
    "isl": "is",
    "ita": "it",
    "kaz": "kk",
    "lat": "la",
    "mkd": "mk",
    "mlt": "mt",
    "msa": "ms",
    "nld": "nl",
    "nno": "nn",
    "nob": "nb",
    "oci": "oc",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rus": "ru",
    "slk": "sk",
    "slv": "sl",
    "spa": "es",
    "sqi": "sq",
    "srd": "sc",
    "swe": "sv",
    "tat": "tt",
    "tur": "tr",
    "ukr": "uk",
    "urd": "ur",
    "zho": "zh",
}
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def short_code(code: str) -> str:
    """The 639-1 code for a 639-1 or 639-3 code; unknown codes pass through lower-cased."""
    code = code.lower()
    return _THREE_TO_TWO.get(code, code)


def normalize(tag: str) -> str | None:
    """The primary language of a user's tag as a short code, or None when it is not a language tag.

    Region and script subtags are dropped (`en-US` -> `en`): Apertium's base modes are what we serve.
    """
    tag = tag.strip()
    if not _TAG.match(tag):
        return None
    return short_code(re.split(r"[-_]", tag)[0])


def locale_tag(tag: str) -> str | None:
    """A user's tag in one spelling that keeps its region and script (`es_mx` -> `es-MX`, `zh-hant` ->
    `zh-Hant`, `spa-MX` -> `es-MX`), or None when it is not a language tag. Its primary subtag is
    `normalize(tag)`, so `domain.specs.primary_language` of the result is what engines read.

    Casing follows BCP 47 (RFC 5646 §2.1.1): scripts title case, regions upper case, the rest lower."""
    primary = normalize(tag)
    if primary is None:
        return None
    rest = [_subtag_case(part) for part in re.split(r"[-_]", tag.strip())[1:]]
    return "-".join([primary, *rest])


def _subtag_case(subtag: str) -> str:
    if len(subtag) == 4 and subtag.isalpha():
        return subtag.title()
    if len(subtag) == 2 and subtag.isalpha() or len(subtag) == 3 and subtag.isdigit():
        return subtag.upper()
    return subtag.lower()
