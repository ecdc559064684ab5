"""A provider's members and invitations (patterns of store/__init__.py: MEMBER and INVITATION items)."""

from __future__ import annotations

from typing import Any

from grading.store.items import summary_of, tx_delete, tx_put, tx_update
from grading.store.keys import (
    application_summary_key,
    invitation_key,
    member_indexes,
    member_key,
    rectification_indexes,
    rectification_key,
)


def member_item(member: dict[str, Any], *, new: bool = False) -> dict[str, Any]:
    """A member of a provider as `member` (`new`: refused if the user is already one), named `member:<sub>`."""
    return tx_put(
        member_key(member["credit_code"], member["sub"]),
        "member",
        {k: v for k, v in member.items() if k not in ("version", "legacy")},
        name=f"member:{member['sub']}",
        new=new,
        indexes=member_indexes(member),
    )


def member_removal_item(credit_code: str, sub: str) -> dict[str, Any]:
    return tx_delete(member_key(credit_code, sub), name=f"member:{sub}")


def invitation_item(invitation: dict[str, Any], *, version: int | None) -> dict[str, Any]:
    """An invitation: new when `version` is None, else optimistic on the `version` read."""
    return tx_put(
        invitation_key(invitation["invitation_id"]),
        "invitation",
        invitation,
        name="invitation",
        new=version is None,
        expected_version=version,
    )


# --- the move of a provider written before members (members._commit) ----------------------------------------
#
# Before members, a provider's owner was `owner_sub` on its record, and the owner alone found its records through
# indexes keyed by its sub: its applications by OWNER#<sub> (pattern 3; there was no summary copy under the
# provider, pattern 31) and the provider's rectification orders by RECTS#<owner sub> (pattern 22). Members find
# them by the credit code. So the move, in the transaction that writes the owner as the first admin item, also
#   - puts the missing summary copy PROVIDER#<cc> / APP#<submitted>#<id> of each of the owner's applications for
#     this credit code (attribute_not_exists: an application that new code has written already has its copy, and
#     a copy that appears meanwhile cancels the move, which then starts again from a fresh read);
#   - re-indexes each of the owner's orders for this credit code: SET GSI2PK = RECTS#<cc>, only on an order of
#     this credit code (attribute_exists, credit_code = <cc>). Only the index attribute changes, so an order read
#     stale from the index is never written back, and a second move of the same order changes nothing.
# Both are read by bounded Queries of the owner's own partitions of GSI2 (OWNER#<sub>, RECTS#<sub>), never a Scan.
# Applications that someone else submitted for the credit code before members stay under their submitter's
# OWNER#<sub>: no index finds them by credit code, and only their submitter ever spoke for them.


def legacy_summary_item(credit_code: str, app: dict[str, Any]) -> dict[str, Any]:
    """The summary copy of an application written before members, for a member of its provider to find."""
    return tx_put(
        application_summary_key(credit_code, app["submitted_at"], app["application_id"]),
        "application_summary",
        summary_of(app),
        name="application_summary",
        new=True,
    )


def legacy_order_reindex_item(order: dict[str, Any]) -> dict[str, Any]:
    """A rectification order written before members, indexed by its provider (RECTS#<cc>) instead of its owner."""
    return tx_update(
        rectification_key(order["rectification_id"]),
        "SET GSI2PK = :pk",
        {":pk": rectification_indexes(order)["GSI2PK"], ":cc": order["credit_code"]},
        name="rectification",
        condition="attribute_exists(PK) AND credit_code = :cc",
    )
