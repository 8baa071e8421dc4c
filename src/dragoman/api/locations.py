"""A safety net around planning a batch at the front doors: a location the storage layer could not
make sense of, and did not refuse as one of the service's own errors, is the caller's bad input
(HTTP 400), never a server error, and nothing is created (issue 9 item 6).

Found with real requests: a `file://` path component over 255 bytes made the local store's
`os.stat` raise OSError ENAMETOOLONG, and a blob container URL given with `storageType: File` made
the Azure SDK's `BlobClient.from_blob_url` raise ValueError ("Provide a blob_url with a valid blob
and container name"). The storage layer should refuse both itself, as AccessDenied (the job then
fails validation, as for any unusable location); until it does, and for whatever else it misses,
this turns them into a refusal instead of a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dragoman.errors import Invalid

__all__ = ["UnusableLocation", "unusable_locations"]


class UnusableLocation(Invalid):
    """A source, target or glossary location that cannot be used as given."""

    code = "InvalidDocumentLocation"


@contextmanager
def unusable_locations() -> Iterator[None]:
    """Turn OSError and ValueError raised in the block into UnusableLocation (Azure: 400
    `InvalidArgument`; Amazon: 400 `InvalidRequestException`). The service's own errors pass."""
    try:
        yield
    except OSError as exc:
        raise UnusableLocation(
            f"a source or target location cannot be used: {exc.strerror or 'the operating system refused it'}"
        ) from None
    except ValueError as exc:
        raise UnusableLocation(f"a source or target location cannot be used: {str(exc)[:300]}") from None
