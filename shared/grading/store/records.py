"""The records the store hands over whole: an application's dossier, one provider change (`Change`, written by
dal.commit as one transaction), and the cancellation of a transaction whose condition failed. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grading.audit import AuditEntry


@dataclass
class Dossier:
    """Everything stored under one application: read in one round trip (pattern 1)."""

    application: dict[str, Any] | None
    documents: list[dict[str, Any]] = field(default_factory=list)
    panels: dict[int, dict[str, Any]] = field(default_factory=dict)
    cards: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)

    def panel(self) -> dict[str, Any] | None:
        """The current round's panel."""
        round_ = int((self.application or {}).get("panel_round") or 0)
        return self.panels.get(round_)

    def round_cards(self, round_: int) -> dict[str, dict[str, Any]]:
        return {expert: card for (r, expert), card in self.cards.items() if r == round_}


class TransactionConflict(Exception):
    """A condition failed: somebody changed the records between our read and our write."""

    def __init__(self, reasons: list[str]):
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons


@dataclass
class Change:
    """One atomic change to a provider's records, always with its audit entry.

    `provider` is the whole provider record after the change; `expected_seq` the audit_seq that was read
    (0 when the provider is new). `application`, when given, is the whole application after the change and
    `expected_version` the version read (None when new). `slot` acquires or releases the active-application slot.
    """

    credit_code: str
    provider: dict[str, Any]
    expected_seq: int
    audit: AuditEntry
    application: dict[str, Any] | None = None
    expected_version: int | None = None
    slot: str | None = None  # "acquire" | "release" | None
    extra: list[dict[str, Any]] = field(default_factory=list)  # more transaction items, from the tx_* builders

    # Names for the transaction's items, in order, so a cancellation can say which condition failed.
    def item_names(self) -> list[str]:
        names = ["provider", "audit"]
        if self.application is not None:
            names += ["application", "application_summary"]
        if self.slot:
            names.append("slot")
        names.extend(next(iter(item.values())).get("_name", "extra") for item in self.extra)
        return names
