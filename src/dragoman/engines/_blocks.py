"""Packing a document's segments into few pipeline blocks, and taking the translations apart again.

Every block costs each of a pipeline's dozen stages a flush, a write and a wake-up of the next stage.
A document of short paragraphs sent one block per paragraph spends a few per cent of the engine's
CPU on that alone, so consecutive segments share a block, up to a size, kept apart by a superblank
(which Apertium passes through untouched and in order).

A superblank alone does not keep segments apart: transfer moves words across it (`The big | house`
comes back as `La casa | grande`), and after an abbreviation (`etc.`) the next segment is read as the
middle of a sentence. A full stop does keep them apart, so one is added before every separator and
taken off the translation again, which is Transfuse's own trick at the end of each of its blocks. A
block whose stops or separators do not come back as sent is reported, and translated again one
segment per block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dragoman.formats.stream import split_stream

__all__ = ["Block", "pack", "unpack", "unpack_alone"]

_SEAL = "[]"  # a closing blank makes every stage flush the block's last word at the null
# A blank before the seal: without it the last word of a block that ends in no punctuation was lost
# ("I like the day[]" came back "Me gusta el []"), as Apertium's own text mode never loses it (its
# input ends in a newline). Added to every block, and taken off the translation again.
_TAIL = " "
_STOP = "."
_SEPARATOR = "[dragoman:segment]"


@dataclass(frozen=True, slots=True)
class Block:
    """One pipeline block: pieces of segments, in order, and the segment each piece belongs to."""

    pieces: tuple[str, ...]
    owners: tuple[int, ...]

    @property
    def text(self) -> bytes:
        return ((_STOP + _SEPARATOR).join(self.pieces) + _TAIL + _SEAL).encode("utf-8")

    def alone(self) -> list[Block]:
        """The same pieces, one block each: no stops added, nothing to lose."""
        return [Block((piece,), (owner,)) for piece, owner in zip(self.pieces, self.owners, strict=True)]


def pack(segments: Sequence[str], max_chars: int) -> list[Block]:
    """Blocks of at most about `max_chars`; a segment longer than that is cut at sentence ends."""
    share = not any(_SEPARATOR in segment for segment in segments)
    blocks: list[Block] = []
    pieces: list[str] = []
    owners: list[int] = []
    size = 0
    for index, segment in enumerate(segments):
        for piece in split_stream(segment, max_chars):
            if pieces and (not share or size + len(piece) > max_chars):
                blocks.append(Block(tuple(pieces), tuple(owners)))
                pieces, owners, size = [], [], 0
            pieces.append(piece)
            owners.append(index)
            size += len(piece) + len(_STOP + _SEPARATOR)
    if pieces:
        blocks.append(Block(tuple(pieces), tuple(owners)))
    return blocks


def unpack_alone(result: bytes) -> str:
    """The translation of a block of one piece: nothing was added to it, so nothing can be lost."""
    return result.decode("utf-8", "replace").removesuffix(_SEAL).removesuffix(_TAIL)


def unpack(block: Block, result: bytes) -> list[str] | None:
    """The translation of each piece of the block, or None if its stops or separators were lost."""
    text = unpack_alone(result)
    if len(block.pieces) == 1:
        return [text]
    parts = text.split(_SEPARATOR)
    if len(parts) != len(block.pieces):
        return None
    for number, part in enumerate(parts[:-1]):
        stop = part.rfind(_STOP)
        if stop < 0 or part[stop + 1 :].strip():
            return None  # the added stop is not the last thing before the separator
        parts[number] = part[:stop] + part[stop + 1 :]
    return parts
