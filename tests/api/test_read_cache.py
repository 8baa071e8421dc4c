"""Cached read responses go stale the moment anything commits, in this process or another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dragoman.api.read_cache import ReadCache
from dragoman.domain.jobs import ErrorInfo
from dragoman.domain.specs import JobSpec
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore

FAILED = ErrorInfo("NoDocumentsFound", "nothing")


def test_a_response_is_reused_until_the_store_changes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = JobStore(open_database(url))
    cache = ReadCache(store)
    marker = cache.marker()
    cache.put("acme", "http://x/a", marker, 200, b"{}")
    assert cache.get("acme", "http://x/a", cache.marker()) == (200, b"{}")
    assert cache.get("globex", "http://x/a", cache.marker()) is None  # another tenant never sees it
    # a commit from this process
    store.create_job(JobSpec("acme", ()), error=FAILED)
    assert cache.get("acme", "http://x/a", cache.marker()) is None
    # a commit from another process
    cache.put("acme", "http://x/a", cache.marker(), 200, b"{}")
    code = (
        "import sys; from dragoman.store.database import open_database; from dragoman.store.jobs import JobStore;"
        "from dragoman.domain.jobs import ErrorInfo; from dragoman.domain.specs import JobSpec;"
        "JobStore(open_database(sys.argv[1])).create_job(JobSpec('x', ()), error=ErrorInfo('E', 'e'))"
    )
    subprocess.run([sys.executable, "-c", code, url], check=True)
    assert cache.get("acme", "http://x/a", cache.marker()) is None


def test_the_cache_keeps_only_its_capacity(tmp_path: Path) -> None:
    cache = ReadCache(JobStore(open_database(f"sqlite:///{tmp_path / 'state.db'}")), capacity=2)
    marker = cache.marker()
    for name in ("a", "b", "c"):
        cache.put("acme", name, marker, 200, name.encode())
    assert cache.get("acme", "a", marker) is None
    assert cache.get("acme", "c", marker) == (200, b"c")
