"""A provider's assessment of a period (patterns 15-16)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put
from grading.store.keys import assessment_key


def assessment_item(
    credit_code: str, period: str, assessment: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The period's assessment: new, or replacing `existing` optimistically (a correction)."""
    return tx_put(
        assessment_key(credit_code, period),
        "assessment",
        assessment,
        name="assessment",
        new=existing is None,
        expected_version=existing["version"] if existing else None,
    )
