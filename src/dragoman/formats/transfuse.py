"""Transfuse (`tf-extract` / `tf-inject`) for structured formats. Structure and inline formatting
survive because Transfuse carries tags through the engine as blanks and keeps the skeleton in its
own state folder, which lives until the document is rebuilt or discarded."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dragoman.errors import UndecodableDocument
from dragoman.formats.stream import visible_text

__all__ = ["TransfuseSkeleton", "inject", "extract"]

_BLOCK_PREFIX = "\n[tf-block:"
_TRANSFUSE_TAIL = ".[]"  # Transfuse ends every block with a full stop of its own, removed on injection


@dataclass(frozen=True, slots=True)
class TransfuseSkeleton:
    header: str
    workdir: Path

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def extract(data: bytes, transfuse_format: str, extension: str, label: str) -> tuple[TransfuseSkeleton, list[str], int]:
    """The blocks to translate, the skeleton and the billable characters."""
    workdir = Path(tempfile.mkdtemp(prefix="dragoman-doc-"))
    try:
        source = workdir / f"source{extension}"
        source.write_bytes(data)
        result = subprocess.run(
            ["tf-extract", "-f", transfuse_format, "-d", str(workdir / "state"), str(source)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit code {result.returncode}"
            raise UndecodableDocument(f"the {label} document could not be read: {reason}")
        chunks = result.stdout.decode("utf-8", "replace").split("\0")
        header, blocks = chunks[0], [chunk for chunk in chunks[1:] if chunk]
        segments = [block for block in blocks if block.startswith(_BLOCK_PREFIX)]
        return TransfuseSkeleton(header, workdir), segments, sum(_characters(block) for block in segments)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def inject(skeleton: TransfuseSkeleton, translated: list[str], label: str) -> bytes:
    stream = "\0".join([skeleton.header, *translated]) + "\0"
    result = subprocess.run(["tf-inject"], input=stream.encode("utf-8"), capture_output=True, check=False)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip()[-300:]
        raise UndecodableDocument(f"the translated {label} document could not be rebuilt: {reason}")
    return result.stdout


def _characters(block: str) -> int:
    """Billable characters of one block: what a reader sees, without Transfuse's own full stop."""
    text = visible_text(block).strip()
    if block.rstrip().endswith(_TRANSFUSE_TAIL) and text.endswith("."):
        return len(text) - 1
    return len(text)
