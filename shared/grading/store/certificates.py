"""Certificates by number (pattern 13; in the Due index until they expire)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put
from grading.store.keys import certificate_indexes, certificate_key


def new_certificate_item(certificate: dict[str, Any]) -> dict[str, Any]:
    """A new certificate: refused (as `certificate`) if its number is taken."""
    return tx_put(
        certificate_key(certificate["number"]),
        "certificate",
        certificate,
        name="certificate",
        new=True,
        indexes=certificate_indexes(certificate),
    )


def replaced_certificate_item(held: dict[str, Any], after: dict[str, Any], name: str) -> dict[str, Any]:
    """The `held` certificate replaced as a whole by `after`: optimistic on its version, and only while its PDF is
    the one read (or, if it had none, still none)."""
    pdf = held.get("pdf_sha256")
    return tx_put(
        certificate_key(held["number"]),
        "certificate",
        {k: v for k, v in after.items() if k != "version"},
        name=name,
        expected_version=int(held["version"]),
        indexes=certificate_indexes(after),
        condition="pdf_sha256 = :pdf" if pdf else "attribute_not_exists(pdf_sha256)",
        values={":pdf": pdf} if pdf else None,
    )
