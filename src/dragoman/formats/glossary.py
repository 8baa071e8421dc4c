"""Glossaries: term lists a translation must follow, read from TSV, CSV or XLIFF, and applied around
any engine by swapping each source term for a placeholder the engine copies through untouched.

Apertium passes an unknown word through as it is (with unknown-word marks off), so a placeholder
made only of letters survives translation in place; it is then replaced by the glossary's target
term. Matching is case-sensitive and on whole words, longest term first, as Azure's glossaries do.
"""

from __future__ import annotations

import csv
import io
import re
import string
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence

from dragoman.errors import Invalid
from dragoman.formats.plaintext import escape
from dragoman.formats.protect import KEPT

__all__ = ["GLOSSARY_FORMATS", "Glossary", "GlossaryError", "apply_glossary", "parse_glossary"]

Glossary = tuple[tuple[str, str], ...]

GLOSSARY_FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # format: (file extensions, content types)
    "TSV": ((".tsv", ".tab"), ("text/tab-separated-values",)),
    "CSV": ((".csv",), ("text/csv",)),
    "XLIFF": ((".xlf", ".xliff"), ("application/xliff+xml",)),
}
MAX_TERMS = 10_000
_PLACEHOLDER = re.compile(r"zqglos([a-z]+)zq", re.IGNORECASE)


class GlossaryError(Invalid):
    """A glossary cannot be read or is malformed."""

    code = "InvalidGlossary"


def parse_glossary(data: bytes, fmt: str, name: str = "glossary") -> Glossary:
    """The (source, target) pairs of a glossary file; GlossaryError says what is wrong with it."""
    kind = fmt.strip().upper()
    if kind not in GLOSSARY_FORMATS:
        raise GlossaryError(
            f"{name}: glossary format {fmt!r} is not supported; use one of {', '.join(GLOSSARY_FORMATS)}"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GlossaryError(f"{name}: the glossary is not UTF-8 text (byte {exc.start})") from None
    if kind == "XLIFF":
        pairs = _xliff_pairs(text, name)
    else:
        pairs = _delimited_pairs(text, "\t" if kind == "TSV" else ",", name)
    if not pairs:
        raise GlossaryError(f"{name}: the glossary holds no terms")
    if len(pairs) > MAX_TERMS:
        raise GlossaryError(f"{name}: the glossary holds more than {MAX_TERMS} terms")
    return tuple(pairs)


def _delimited_pairs(text: str, delimiter: str, name: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise GlossaryError(f"{name}: malformed glossary: {exc}") from None
    for number, row in enumerate(rows, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise GlossaryError(f"{name}: line {number} must hold a source term and a target term")
        pairs.append((row[0].strip(), row[1].strip()))
    return pairs


def _xliff_pairs(text: str, name: str) -> list[tuple[str, str]]:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise GlossaryError(f"{name}: XLIFF glossaries may not declare a DOCTYPE or entities")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise GlossaryError(f"{name}: malformed XLIFF: {exc}") from None
    pairs: list[tuple[str, str]] = []
    for unit in root.iter():
        if _local(unit.tag) not in ("trans-unit", "segment"):
            continue
        source = next((child for child in unit if _local(child.tag) == "source"), None)
        target = next((child for child in unit if _local(child.tag) == "target"), None)
        if source is None or target is None:
            raise GlossaryError(f"{name}: every XLIFF unit needs a source and a target")
        pair = ("".join(source.itertext()).strip(), "".join(target.itertext()).strip())
        if not all(pair):
            raise GlossaryError(f"{name}: an XLIFF unit has an empty source or target")
        pairs.append(pair)
    return pairs


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def apply_glossary(segments: Sequence[str], glossary: Glossary) -> tuple[list[str], Callable[[list[str]], list[str]]]:
    """Segments (in Apertium's stream format) with every glossary term swapped for a placeholder, and
    the function that puts the target terms in place of the placeholders after translation."""
    if not glossary:
        return list(segments), lambda translated: translated
    terms = sorted({source: target for source, target in glossary}.items(), key=lambda item: -len(item[0]))
    targets = [escape(target) for _, target in terms]
    alternatives = "|".join(re.escape(escape(source)) for source, _ in terms)
    # what formats.protect hid from the engine (a URL, a #hashtag) is matched whole and left as it is
    pattern = re.compile(rf"({KEPT.pattern})|(?<![\w\\])(?:{alternatives})(?!\w)")
    index = {escape(source): number for number, (source, _) in enumerate(terms)}

    def protect(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)
        return f"Zqglos{_letters(index[match.group(0)])}zq"

    def restore(translated: list[str]) -> list[str]:
        def put_back(match: re.Match[str]) -> str:
            number = _number(match.group(1).lower())
            return targets[number] if number < len(targets) else match.group(0)

        return [_PLACEHOLDER.sub(put_back, segment) for segment in translated]

    return [pattern.sub(protect, segment) for segment in segments], restore


def _letters(number: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'ba': a base-26 index made of letters, one word to any engine."""
    digits = ""
    while True:
        number, rest = divmod(number, 26)
        digits = string.ascii_lowercase[rest] + digits
        if number == 0:
            return digits


def _number(letters: str) -> int:
    value = 0
    for letter in letters:
        value = value * 26 + string.ascii_lowercase.index(letter)
    return value
