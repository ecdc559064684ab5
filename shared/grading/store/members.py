"""A provider's members and invitations (patterns of store/__init__.py: MEMBER and INVITATION items)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_delete, tx_put
from grading.store.keys import invitation_key, member_indexes, member_key


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
