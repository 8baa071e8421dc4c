"""GNU gettext catalogues (`.po`), filled as a translation tool fills them.

Each untranslated message's `msgid` (and `msgid_plural`) is a segment; its translation goes into
`msgstr` (for a plural message: `msgstr[0]` from the singular, every other form from the plural,
as many forms as the target language has). Messages translated already, obsolete ones and the
header are left as they are. A machine translation is a draft: each filled message is flagged
`fuzzy`, so gettext tools use it only once a person has reviewed it. The header's `Language` names
the target language, and its `Plural-Forms` the target's rule (from CLDR, through Babel).
Placeholders (`%s`, `%(name)d`, `{count}`) are hidden from the engine and come back as they were.
Sources: GNU gettext manual §3 "The Format of PO Files", §12.4 "Plural forms"; parsing and writing
by polib.

Shapes: `take_apart(text) -> (CatalogueSkeleton, segments, characters)`;
`rebuild(skeleton, translated, target_language) -> text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.formats import tag_pairs
from dragoman.formats.plaintext import unescape
from dragoman.formats.protect import keep

__all__ = ["CatalogueSkeleton", "rebuild", "take_apart"]

# Kept as written, where they are: printf and format placeholders (`%(name)s`, `{count}`), HTML tags
# with their attributes (`<strong>`, `<a href="...#anchor">`: a catalogue's messages are often markup)
# and character references, and command-line options in a program's help (`-a`, `--all`).
_PLACEHOLDER = re.compile(
    r"\{%.{0,2000}?%\}|\{\{.{0,2000}?\}\}|\{#.{0,2000}?#\}"  # template code ({% if user %}: not "% i")
    r"|%(?:\([^)\s]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[hlLqjzt]*[diouxXeEfFgGcrsa%]|\{[^{}\s]*\}"
    r"|</?[A-Za-z][^<>]*>|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]\w*);"
    r"|(?<![\w-])--?[A-Za-z][\w-]*(?:=\S*)?"
)


@dataclass(slots=True)
class CatalogueSkeleton:
    """The parsed catalogue and, in segment order, which message and which text each segment is."""

    catalogue: Any  # polib.POFile
    slots: list[tuple[Any, str]] = field(default_factory=list)  # (polib.POEntry, "singular" | "plural")
    tags: list[tag_pairs.Tags] = field(default_factory=list)  # per slot, its carried pairs' tags (tag_pairs.py)


def take_apart(text: str) -> tuple[CatalogueSkeleton, list[str], int]:
    """The untranslated messages' texts (as engine segments), the skeleton, the visible characters.
    Raises ValueError when the text is not a gettext catalogue."""
    import polib  # type: ignore[import-untyped]

    try:
        catalogue = polib.pofile(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a gettext catalogue: {exc}") from None
    skeleton = CatalogueSkeleton(catalogue)
    segments: list[str] = []
    characters = 0
    for entry in catalogue:
        if entry.obsolete or not entry.msgid or entry.translated() or _drafted(entry):
            continue  # done, or a draft a translator wrote (flagged fuzzy): theirs, never overwritten
        texts = [("singular", entry.msgid)] + ([("plural", entry.msgid_plural)] if entry.msgid_plural else [])
        for kind, source in texts:
            stream, tags = _segment(source)
            skeleton.slots.append((entry, kind))
            skeleton.tags.append(tags)
            segments.append(stream)
            characters += len(_PLACEHOLDER.sub("", source))
    return skeleton, segments, characters


def rebuild(skeleton: CatalogueSkeleton, translated: list[str], target_language: str | None) -> str:
    """The catalogue with the translations filled in (segments already unprotected)."""
    from babel.messages.plurals import get_plural

    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per message text")
    catalogue = skeleton.catalogue
    forms = 2
    if "charset=" not in catalogue.metadata.get("Content-Type", ""):  # written in UTF-8: say so (msgfmt -c)
        catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    if target_language is not None:
        catalogue.metadata["Language"] = target_language
        try:
            rule = get_plural(target_language.replace("-", "_"))
            forms = rule.num_plurals
            catalogue.metadata["Plural-Forms"] = str(rule)
        except (ValueError, LookupError):  # a language CLDR has no rule for: the catalogue's own stays
            pass
    found: dict[int, dict[str, str]] = {}
    for (entry, kind), segment, tags in zip(skeleton.slots, translated, skeleton.tags, strict=True):
        found.setdefault(id(entry), {})[kind] = _restore(entry.msgid if kind == "singular" else entry.msgid_plural,
                                                         unescape(tag_pairs.resolve(segment, tags)))  # fmt: skip
    for entry, _kind in skeleton.slots:
        texts = found.pop(id(entry), None)
        if texts is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {
                0: texts["singular"],
                **{n: texts.get("plural", texts["singular"]) for n in range(1, forms)},
            }
        else:
            entry.msgstr = texts["singular"]
        if "fuzzy" not in entry.flags:
            entry.flags.append("fuzzy")
    text: str = catalogue.__unicode__()
    return text


def _drafted(entry: Any) -> bool:
    """Whether a person wrote a translation for `entry` (a fuzzy draft is one)."""
    return bool(entry.msgstr) or any(entry.msgstr_plural.values())


def _segment(source: str) -> tuple[str, tag_pairs.Tags]:
    """A message as engine stream text: placeholders, entities, options and tags hidden whole, but
    for a pair of tags around words (`<a href="…">release notes</a>`), carried with them (tag_pairs.py)."""
    chunks: list[tuple[str, bool]] = []
    last = 0
    for match in _PLACEHOLDER.finditer(source):
        chunks += [(source[last : match.start()], False), (match.group(0), True)]
        last = match.end()
    chunks.append((source[last:], False))
    return tag_pairs.to_stream(chunks, keep)


def _restore(source: str, translation: str) -> str:
    """`translation` with its source's leading and trailing whitespace (a gettext message's
    newlines and spaces at its ends are meaningful to the program printing it)."""
    body = source.strip()
    if not body:
        return source
    return source[: source.index(body[0])] + translation.strip() + source[source.rindex(body[-1]) + 1 :]
