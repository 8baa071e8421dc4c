"""The interface every translation vendor of the content connector implements, and what it answers.

A vendor takes a job (`submit`, idempotent by the connector job's id, so a retry after a crash
never creates a second vendor job), says where it is (`poll`), takes a cancel request (answered at a
later poll: approved or refused), withdraws a job the connector cancelled while sending, and hands
over its translations (`deliveries`). Vendors only execute and report; every decision about a
connector job is `dragoman.connector.lifecycle`'s.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from dragoman.connector.store import ConnectorJob
from dragoman.domain.specs import primary_language
from dragoman.errors import UnsupportedLanguage

__all__ = ["CancelAnswer", "Delivery", "Vendor", "VendorState", "VendorStatus"]


class VendorState(StrEnum):
    RECEIVED = "received"  # the vendor has the job; work has not started
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"  # every item is translated (or failed)
    CANCELLED = "cancelled"  # the vendor cancelled it (approving a request, or on its own)


class CancelAnswer(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class VendorStatus:
    state: VendorState
    cancel: CancelAnswer | None = None  # the answer to a cancel request, once there is one
    # target languages whose every item is delivered while others are still in work: imported at once
    complete_languages: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One item's result: its translated fields, or why it has none (`cancelled`: the vendor's job was
    cancelled before this item was translated, rather than the item failing)."""

    fields: Mapping[str, str] | None = None
    error: str | None = None
    cancelled: bool = False


class Vendor(ABC):
    name: str

    @abstractmethod
    def submit(self, tenant: str, job: ConnectorJob) -> str:
        """Hand `job`'s sent items over; the vendor's reference to it. Idempotent by `job.id`.
        Raises ServiceError when the vendor cannot take it now (the send is retried)."""

    @abstractmethod
    def poll(self, tenant: str, ref: str) -> VendorStatus:
        """Where the vendor's job stands."""

    @abstractmethod
    def request_cancel(self, tenant: str, ref: str) -> None:
        """Ask the vendor to cancel; the answer comes with a later `poll`. Idempotent."""

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        """The vendor's reference to `job` if a submit of it reached the vendor (the sending process
        may have died before recording it), else None. Only looks: never creates. A vendor that
        cannot tell answers None; then a job cancelled while a crashed process was sending it may
        stay at that vendor, so every vendor should implement it."""
        return None

    @abstractmethod
    def withdraw(self, tenant: str, ref: str) -> None:
        """Take back a job the connector cancelled while sending: the vendor works on none of it."""

    @abstractmethod
    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        """Item id -> its result, for a delivered job, or one the vendor cancelled (what it finished
        before the cancel took effect, the rest `cancelled`)."""

    def language_pairs(self) -> list[tuple[str, str]] | None:
        """(source, target) language pairs this vendor translates; None when it does not say (any
        pair may be asked, and a vendor that cannot do one says so when the job is sent)."""
        return None

    def check_languages(self, source: str, targets: Sequence[str]) -> None:
        """Raise UnsupportedLanguage for the first target this vendor cannot translate `source` into,
        when it says which pairs it translates (`language_pairs`)."""
        pairs = self.language_pairs()
        if pairs is None:
            return
        known = set(pairs)
        for target in targets:
            if (source, primary_language(target)) not in known:
                raise UnsupportedLanguage(f"the {self.name} vendor does not translate {source!r} into {target!r}")
