"""Transaction items: a Put (new, optimistic on `version`, or with its own condition), Update, Delete and
ConditionCheck of one item, named so a cancelled transaction can say which condition failed. Pure: no client;
dal.commit and dal.write send them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grading.audit import AuditEntry
from grading.config import settings

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from grading.store.records import Change

from grading.store.codec import _KEY_ATTRS, _ser, attribute_value
from grading.store.keys import (
    SUMMARY_FIELDS,
    _application_indexes,
    application_key,
    application_summary_key,
    audit_key,
    provider_indexes,
    provider_key,
    slot_key,
)


def table_name() -> str:
    return settings().table_name


def tx_put(
    key: dict[str, str],
    item_type: str,
    attrs: dict[str, Any],
    *,
    name: str,
    new: bool = False,
    expected_version: int | None = None,
    indexes: dict[str, str] | None = None,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A transaction Put: `new` for attribute_not_exists, `expected_version` for optimistic locking (the item's
    `version` becomes expected + 1), neither for an unconditional replace. `condition` (with its `names` and
    `values`) is required as well, or alone when neither is given."""
    clean = {k: v for k, v in attrs.items() if k not in _KEY_ATTRS}  # indexes come only from `indexes`
    item = {**key, "type": item_type, **(indexes or {}), **clean}
    put: dict[str, Any] = {"TableName": table_name(), "_name": name}
    if new:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
        item["version"] = 1
    elif expected_version is not None:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        item["version"] = expected_version + 1
    if condition:
        base = put.get("ConditionExpression")
        put["ConditionExpression"] = f"({base}) AND ({condition})" if base else condition
        if names:
            put["ExpressionAttributeNames"] = names
        if values:
            put["ExpressionAttributeValues"] = {
                **put.get("ExpressionAttributeValues", {}),
                **{k: attribute_value(v) for k, v in values.items()},
            }
    put["Item"] = _ser(item)
    return {"Put": put}


def tx_provider_change(
    read: dict[str, Any], after: dict[str, Any], audit: AuditEntry, *, name: str = "provider"
) -> list[dict[str, Any]]:
    """A provider change as transaction items, for a transaction that changes many providers (Change is one): the
    provider, conditional on the audit_seq that was read, like every provider change, and its next audit entry."""
    cc = read["credit_code"]
    head = {**after, "audit_seq": audit.seq, "audit_head": audit.hash}
    return [
        tx_put(
            provider_key(cc),
            "provider",
            head,
            name=name,
            indexes=provider_indexes(head),
            condition="audit_seq = :seq",
            values={":seq": int(read["audit_seq"])},
        ),
        tx_put(
            audit_key(cc, audit.seq),
            "audit",
            {"seq": audit.seq, "body": audit.body, "hash": audit.hash},
            name="audit",
            new=True,
        ),
    ]


def tx_update(
    key: dict[str, str],
    update: str,
    values: dict[str, Any],
    *,
    name: str,
    condition: str | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"TableName": table_name(), "Key": _ser(key), "UpdateExpression": update, "_name": name}
    if values:  # DynamoDB refuses an empty map here
        body["ExpressionAttributeValues"] = {k: attribute_value(v) for k, v in values.items()}
    if condition:
        body["ConditionExpression"] = condition
    if names:
        body["ExpressionAttributeNames"] = names
    return {"Update": body}


def tx_delete(key: dict[str, str], *, name: str) -> dict[str, Any]:
    return {"Delete": {"TableName": table_name(), "Key": _ser(key), "_name": name}}


def tx_check(
    key: dict[str, str], condition: str, values: dict[str, Any], *, name: str, names: dict[str, str] | None = None
) -> dict[str, Any]:
    check: dict[str, Any] = {
        "TableName": table_name(),
        "Key": _ser(key),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": {k: attribute_value(v) for k, v in values.items()},
        "_name": name,
    }
    if names:
        check["ExpressionAttributeNames"] = names
    return {"ConditionCheck": check}


def provider_puts(change: Change) -> list[Any]:
    """The provider (created, or conditional on the audit_seq read) and its next audit entry (new)."""
    cc = change.credit_code
    provider = {
        **change.provider,
        "audit_seq": change.audit.seq,
        "audit_head": change.audit.hash,
        **provider_indexes(change.provider),
    }
    put: dict[str, Any] = {
        "TableName": table_name(),
        "Item": _ser({**provider_key(cc), "type": "provider", **provider}),
    }
    if change.expected_seq == 0:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "audit_seq = :seq"
        put["ExpressionAttributeValues"] = {":seq": {"N": str(change.expected_seq)}}
    audit = {
        **audit_key(cc, change.audit.seq),
        "type": "audit",
        "seq": change.audit.seq,
        "body": change.audit.body,
        "hash": change.audit.hash,
    }
    return [
        {"Put": put},
        {"Put": {"TableName": table_name(), "Item": _ser(audit), "ConditionExpression": "attribute_not_exists(PK)"}},
    ]


def application_puts(change: Change, app: dict[str, Any]) -> list[Any]:
    """The application (new, or conditional on the version read; its version + 1) and its summary copy."""
    new_version = (change.expected_version or 0) + 1
    item = {
        **application_key(app["application_id"]),
        "type": "application",
        **_application_indexes(app),
        **app,
        "version": new_version,
    }
    put: dict[str, Any] = {"TableName": table_name(), "Item": _ser(item)}
    if change.expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(change.expected_version)}}
    app["version"] = new_version
    key = application_summary_key(change.credit_code, app["submitted_at"], app["application_id"])
    return [
        {"Put": put},
        {"Put": {"TableName": table_name(), "Item": _ser({**key, "type": "application_summary", **summary_of(app)})}},
    ]


def summary_of(app: dict[str, Any]) -> dict[str, Any]:
    """The copy of an application kept under its provider (pattern 31)."""
    return {k: app.get(k) for k in SUMMARY_FIELDS} | {
        "provider_name": (app.get("provider") or {}).get("name"),
        "category": (app.get("provider") or {}).get("category"),
    }


def slot_items(change: Change) -> list[Any]:
    """The active-application slot: taken (attribute_not_exists) or freed (only by the application holding it)."""
    if not change.slot:
        return []
    assert change.application is not None
    application_id = change.application["application_id"]
    slot = slot_key(change.credit_code)
    if change.slot == "acquire":
        item = {**slot, "type": "slot", "application_id": application_id}
        return [
            {"Put": {"TableName": table_name(), "Item": _ser(item), "ConditionExpression": "attribute_not_exists(PK)"}}
        ]
    return [
        {
            "Delete": {
                "TableName": table_name(),
                "Key": _ser(slot),
                "ConditionExpression": "application_id = :id",
                "ExpressionAttributeValues": {":id": {"S": application_id}},
            }
        }
    ]
