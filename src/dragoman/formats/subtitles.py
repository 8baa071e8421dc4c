"""Subtitles (SubRip `.srt`, WebVTT `.vtt`) taken apart in-process: each cue's text is one segment,
and everything else (numbers, timings and their settings, the WebVTT header, NOTE, STYLE and REGION
blocks, blank lines, line endings) is kept byte for byte.

A cue's text is the lines after its timing line (`start --> end`) up to the next blank line or
timing line; its
line breaks travel through the engine as blanks. Markup inside a cue (`<i>`, `<b>`, `<c.yellow>`,
`<v Speaker>`, WebVTT timestamps, SubRip's `{\\an8}`) is hidden from the engine and comes back
where it was, but for a pair of tags around words (`<b>big</b>`), which follows its words
(tag_pairs.py). A NOTE, STYLE or REGION block cannot hold `-->` (WebVTT §4.1), so it is never taken
for a cue. Sources: W3C WebVTT (2019) §4 "Syntax"; the SubRip format as players read it.

Shapes: `take_apart(text) -> (SubtitleSkeleton, segments, characters)`; `rebuild(skeleton,
translated) -> text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dragoman.formats import tag_pairs
from dragoman.formats.plaintext import unescape
from dragoman.formats.protect import keep

__all__ = ["SubtitleSkeleton", "rebuild", "take_apart"]

_TIMING = re.compile(r"^[^\S\r\n]*\S+[^\S\r\n]+-->[^\S\r\n]+\S+")
_MARKUP = re.compile(r"<[^<>\r\n]*>|\{\\[^{}\r\n]*\}")


@dataclass(frozen=True, slots=True)
class SubtitleSkeleton:
    """Everything around the cues' texts: `gaps[i]` comes before cue text i, `gaps[-1]` after the last;
    `tags[i]`, the tags of cue i's carried pairs (tag_pairs.py)."""

    gaps: tuple[str, ...]
    tags: tuple[tag_pairs.Tags, ...] = ()


def take_apart(text: str) -> tuple[SubtitleSkeleton, list[str], int]:
    """The cues' texts (as engine segments, markup hidden), the skeleton, and the visible characters.
    Raises ValueError for a text with words and no cue at all: not subtitles."""
    lines = text.splitlines(keepends=True)
    gaps: list[str] = []
    segments: list[str] = []
    carried: list[tag_pairs.Tags] = []
    characters = 0
    pending = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        pending += line
        index += 1
        if not _TIMING.match(line):
            continue
        cue: list[str] = []
        # up to a blank line, or to the next timing line where a file leaves out the blank between
        # cues (as youtube-dl writes WebVTT): a cue's text cannot hold "-->" (WebVTT §4.1)
        while index < len(lines) and lines[index].strip() and "-->" not in lines[index]:
            cue.append(lines[index])
            index += 1
        body = "".join(cue)
        words = body.rstrip("\r\n")
        if not any(character.isalnum() for character in _MARKUP.sub("", words)):
            pending += body  # a cue with no words (♪, a dash): nothing to translate
            continue
        gaps.append(pending)
        pending = body[len(words) :]
        stream, tags = _segment(words)
        segments.append(stream)
        carried.append(tags)
        characters += len(_MARKUP.sub("", words).strip())
    gaps.append(pending)
    webvtt = text.lstrip("\ufeff").startswith("WEBVTT")  # a WebVTT file says so first, cues or none (§4.1)
    if (
        not webvtt
        and not segments
        and any(character.isalnum() for character in text)
        and not any(_TIMING.match(line) for line in lines)
    ):
        raise ValueError("it holds words but no cue timing line (such as `00:00:01,000 --> 00:00:04,000`)")
    return SubtitleSkeleton(tuple(gaps), tuple(carried)), segments, characters


def rebuild(skeleton: SubtitleSkeleton, translated: list[str]) -> str:
    """The subtitles with each cue's text replaced by its translation (segments already unprotected)."""
    if len(translated) + 1 != len(skeleton.gaps):
        raise ValueError("one translation is needed per cue")
    parts = [skeleton.gaps[0]]
    for segment, gap, tags in zip(translated, skeleton.gaps[1:], skeleton.tags, strict=True):
        parts += [unescape(tag_pairs.resolve(segment, tags)).strip(" \t"), gap]
    return "".join(parts)


def _segment(words: str) -> tuple[str, tag_pairs.Tags]:
    """A cue's text as engine stream text: escaped, a pair of tags carried with the words it encloses
    (tag_pairs.py), other markup hidden whole."""
    chunks: list[tuple[str, bool]] = []
    last = 0
    for match in _MARKUP.finditer(words):
        chunks += [(words[last : match.start()], False), (match.group(0), True)]
        last = match.end()
    chunks.append((words[last:], False))
    return tag_pairs.to_stream(chunks, keep)
