"""The one module that talks to DynamoDB: reads, queries, pages and the transactions that write. The access
patterns and the items are tabled in grading/store/__init__.py; keys and indexes are built in store/keys.py,
transaction items in store/items.py."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from grading.audit import AuditEntry
from grading.store.codec import (  # re-exported: the use-cases read them as dal.<name>
    attribute_value as attribute_value,
    decode_token as decode_token,
    _deser as _deser,
    _deserializer as _deserializer,
    encode_token as encode_token,
    _ints as _ints,
    _KEY_ATTRS as _KEY_ATTRS,
    _MAX_INT as _MAX_INT,
    _plain as _plain,
    python_value as python_value,
    _ser as _ser,
    _serializer as _serializer,
    _strip as _strip,
)
from grading.store.items import (  # re-exported: the use-cases read them as dal.<name>
    application_puts as application_puts,
    provider_puts as provider_puts,
    slot_items as slot_items,
    table_name as table_name,
    tx_check as tx_check,
    tx_delete as tx_delete,
    tx_provider_change as tx_provider_change,
    tx_put as tx_put,
    tx_update as tx_update,
)
from grading.store.keys import (  # re-exported: the use-cases read them as dal.<name>
    _application_indexes as _application_indexes,
    application_key as application_key,
    application_summary_key as application_summary_key,
    assessment_key as assessment_key,
    ASSESSMENT_SCHEME_KEY as ASSESSMENT_SCHEME_KEY,
    audit_key as audit_key,
    card_key as card_key,
    CARD_REMIND_AFTER as CARD_REMIND_AFTER,
    certificate_indexes as certificate_indexes,
    certificate_key as certificate_key,
    certified_shard as certified_shard,
    CERTIFIED_SHARDS as CERTIFIED_SHARDS,
    CURRENT_SCHEME_KEY as CURRENT_SCHEME_KEY,
    document_key as document_key,
    expert_key as expert_key,
    idempotency_key as idempotency_key,
    invitation_key as invitation_key,
    member_indexes as member_indexes,
    member_key as member_key,
    notice_indexes as notice_indexes,
    notice_key as notice_key,
    objection_indexes as objection_indexes,
    objection_key as objection_key,
    panel_indexes as panel_indexes,
    panel_key as panel_key,
    pool_key as pool_key,
    POOL_MEMBER_PREFIX as POOL_MEMBER_PREFIX,
    pool_members as pool_members,
    provider_indexes as provider_indexes,
    provider_key as provider_key,
    qualification_indexes as qualification_indexes,
    qualification_key as qualification_key,
    rectification_indexes as rectification_indexes,
    rectification_key as rectification_key,
    scheme_key as scheme_key,
    settings_key as settings_key,
    slot_key as slot_key,
    SUMMARY_FIELDS as SUMMARY_FIELDS,
)
from grading.store.records import (  # re-exported: the use-cases read them as dal.<name>
    Change as Change,
    Dossier as Dossier,
    TransactionConflict as TransactionConflict,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@cache
def client() -> DynamoDBClient:
    # Requests are built here from typed records, and DynamoDB validates them again: botocore's client-side
    # validation walks every attribute of every item (a third of the client's time on a 100-item transaction).
    return boto3.client("dynamodb", config=Config(parameter_validation=False))


# --- keys ---------------------------------------------------------------------------------------------------


def rectifications_of_provider(
    credit_code: str, limit: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 22."""
    return _query_index("GSI2", "GSI2PK", f"RECTS#{credit_code}", limit, token)


def members_of(credit_code: str) -> list[dict[str, Any]]:
    """Pattern 28, consistent: a change that must keep an admin decides on what was last committed."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
        ExpressionAttributeValues={":pk": {"S": f"PROVIDER#{credit_code}"}, ":m": {"S": "MEMBER#"}},
        ConsistentRead=True,
    )
    return [_versioned(_strip(i)) for i in items]


def provider_with_members(credit_code: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Pattern 28 with the provider record: MEMBER#<sub> items and PROFILE sort next to each other in the
    provider's partition (nothing of it sorts between them), so one consistent Query reads both."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND SK BETWEEN :m AND :profile",
        ExpressionAttributeValues={
            ":pk": {"S": f"PROVIDER#{credit_code}"},
            ":m": {"S": "MEMBER#"},
            ":profile": {"S": "PROFILE"},
        },
        ConsistentRead=True,
    )
    provider: dict[str, Any] | None = None
    members: list[dict[str, Any]] = []
    for item in items:
        record = _versioned(_strip(item))
        if item["SK"] == "PROFILE":
            provider = record
            provider["audit_seq"] = _ints(provider.get("audit_seq")) or 0  # as get_provider reads it
        elif item["SK"].startswith("MEMBER#"):
            members.append(record)
    return provider, members


def memberships_of(sub: str) -> list[dict[str, Any]]:
    """Pattern 29 (an index: eventually consistent; authorization reads pattern 27 instead)."""
    items = _query_all(
        IndexName="GSI2",
        KeyConditionExpression="GSI2PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER_OF#{sub}"}},
    )
    return [_strip(i) for i in items]


def applications_of_provider(credit_code: str, *, consistent: bool = False) -> list[dict[str, Any]]:
    """Pattern 31, newest first (`consistent` for the move of a legacy owner, which decides what is missing)."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :a)",
        ExpressionAttributeValues={":pk": {"S": f"PROVIDER#{credit_code}"}, ":a": {"S": "APP#"}},
        ScanIndexForward=False,
        ConsistentRead=consistent,
    )
    return [_strip(i) for i in items]


def legacy_records_of_owner(
    owner_sub: str, credit_code: str, *, orders: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a provider's owner alone found before members (store/members.py, the move): its applications for this
    credit code (pattern 3, OWNER#<sub>) and (`orders`) the orders still indexed by its sub (RECTS#<sub>). A Query
    of each of the owner's own index partitions, every page."""
    found: list[list[dict[str, Any]]] = [[], []]
    for i, pk in enumerate((f"OWNER#{owner_sub}", *([f"RECTS#{owner_sub}"] if orders else []))):
        items = _query_all(
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk",
            FilterExpression="credit_code = :cc",
            ExpressionAttributeValues={":pk": {"S": pk}, ":cc": {"S": credit_code}},
        )
        found[i] = [_strip(item) for item in items]
    return found[0], found[1]


def certified_page(shard: int, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 18: one page of one shard of the certified providers."""
    return _query_index("GSI1", "GSI1PK", f"CERTIFIED#{shard:02d}", limit, token, newest_first=False)


def assessments_of(credit_code: str) -> list[dict[str, Any]]:
    """Pattern 16."""
    return [i for i in query_partition(f"PROVIDER#{credit_code}", begins_with="ASSESSMENT#")]


def objections_by_status(status: str, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 25."""
    return _query_index("GSI1", "GSI1PK", f"OBJECTIONS#{status}", limit, token)


# --- (de)serialisation --------------------------------------------------------------------------------------


# --- reads --------------------------------------------------------------------------------------------------


def _query_all(**kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query matches, following LastEvaluatedKey; deserialised, keys kept."""
    items: list[dict[str, Any]] = []
    kwargs = {"TableName": table_name(), **kwargs}
    while True:
        page = client().query(**kwargs)
        items.extend(_deser(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get_dossier(application_id: str) -> Dossier:
    items = _query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"APP#{application_id}"}},
        ConsistentRead=True,
    )
    dossier = Dossier(application=None)
    for item in items:
        sk = item["SK"]
        record = _versioned(_strip(item))
        if sk == "APPLICATION":
            dossier.application = record
        elif sk.startswith("DOC#"):
            dossier.documents.append(record)
        elif sk.startswith("PANEL#"):
            dossier.panels[int(sk.split("#")[1])] = record
        elif sk.startswith("CARD#"):
            _, round_, expert = sk.split("#", 2)
            dossier.cards[(int(round_), expert)] = record
    return dossier


def get_application(application_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    dossier = get_dossier(application_id)
    return dossier.application, dossier.documents


def _versioned(record: dict[str, Any]) -> dict[str, Any]:
    if "version" in record and not isinstance(record["version"], str):
        record["version"] = _ints(record["version"])
    return record


def get_provider_and_slot(credit_code: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    provider, slot, _ = get_submission_context(credit_code)
    return provider, slot


def get_submission_context(
    credit_code: str,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Patterns 4 and 9: the provider, who holds its active-application slot, and the current scheme, in one
    round trip."""
    provider, slot, scheme, _ = get_submission_context_and(credit_code, None)
    return provider, slot, scheme


def get_submission_context_and(
    credit_code: str, extra: dict[str, str] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Patterns 4, 9 and (when `extra` is given, e.g. an idempotency record) one more item, in one round trip."""
    keys = [provider_key(credit_code), slot_key(credit_code), CURRENT_SCHEME_KEY] + ([extra] if extra else [])
    response = client().batch_get_item(
        RequestItems={table_name(): {"Keys": [_ser(k) for k in keys], "ConsistentRead": True}}
    )
    found = {i["SK"]: i for i in map(_deser, response["Responses"].get(table_name(), []))}
    # A tiny batch like this is never throttled into UnprocessedKeys except under throttling: read them singly.
    unprocessed_keys: Any = response.get("UnprocessedKeys") or {}
    for unprocessed in unprocessed_keys.get(table_name(), {}).get("Keys", []):
        got = client().get_item(TableName=table_name(), Key=unprocessed, ConsistentRead=True).get("Item")
        if got:
            item = _deser(got)
            found[item["SK"]] = item
    extra_item = found.pop(extra["SK"], None) if extra else None
    provider = found.get("PROFILE")
    if provider is not None:
        provider = _strip(provider)
        provider["audit_seq"] = _ints(provider.get("audit_seq")) or 0
    slot = _strip(found["ACTIVE_APPLICATION"]) if "ACTIVE_APPLICATION" in found else None
    scheme = found["CURRENT"]["scheme"] if "CURRENT" in found else None
    return provider, slot, scheme, _strip(extra_item) if extra_item else None


def get_provider(credit_code: str) -> dict[str, Any] | None:
    """One consistent GetItem of the provider record."""
    provider = get_item(provider_key(credit_code))
    if provider is not None:
        provider["audit_seq"] = _ints(provider.get("audit_seq")) or 0
    return provider


def get_provider_with(
    credit_code: str, *also: dict[str, str]
) -> tuple[dict[str, Any] | None, dict[tuple[str, str], dict[str, Any]]]:
    """The provider record (as get_provider reads it) and other items the request needs, in one consistent
    BatchGet; the others keyed by (PK, SK)."""
    key = provider_key(credit_code)
    found = get_many([key, *also])
    provider = found.get((key["PK"], key["SK"]))
    if provider is not None:
        provider["audit_seq"] = _ints(provider.get("audit_seq")) or 0
    return provider, found


def audit_entries(credit_code: str) -> list[AuditEntry]:
    """Pattern 5, in order."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :audit)",
        ExpressionAttributeValues={":pk": {"S": f"PROVIDER#{credit_code}"}, ":audit": {"S": "AUDIT#"}},
        ConsistentRead=True,
    )
    return [AuditEntry(seq=int(i["seq"]), body=i["body"], hash=i["hash"]) for i in items]


# --- pagination -------------------------------------------------------------------------------------------


def _query_index(
    index: str, pk_attr: str, pk: str, limit: int, token: str | None, newest_first: bool = True
) -> tuple[list[dict[str, Any]], str | None]:
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": index,
        "KeyConditionExpression": f"{pk_attr} = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ScanIndexForward": not newest_first,
        "Limit": limit,
    }
    start = decode_token(token, index_pk=pk_attr, expected_pk=pk)
    if start:
        kwargs["ExclusiveStartKey"] = start
    page = client().query(**kwargs)
    return [_strip(_deser(i)) for i in page.get("Items", [])], encode_token(page.get("LastEvaluatedKey"))


def applications_by_status(status: str, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 2."""
    return _query_index("GSI1", "GSI1PK", f"STATUS#{status}", limit, token)


def applications_by_owner(owner_sub: str, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 3."""
    return _query_index("GSI2", "GSI2PK", f"OWNER#{owner_sub}", limit, token)


# --- writes -------------------------------------------------------------------------------------------------


def commit(change: Change) -> None:
    """Write one Change as a single transaction; raise TransactionConflict naming the failed conditions."""
    items = provider_puts(change)
    if change.application is not None:
        items += application_puts(change, change.application)
    items += slot_items(change)
    for extra in change.extra:
        items.append({op: {k: v for k, v in body.items() if k != "_name"} for op, body in extra.items()})
    try:
        client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        names = change.item_names()
        failed = [names[i] for i, code in enumerate(codes) if code not in ("None", None) and i < len(names)]
        raise TransactionConflict(failed or codes) from exc


def write(*items: dict[str, Any]) -> None:
    """A transaction of tx_* items that touches no provider (the expert registry, schemes)."""
    cleaned: list[Any] = [
        {op: {k: v for k, v in body.items() if k != "_name"} for op, body in i.items()} for i in items
    ]
    try:
        client().transact_write_items(TransactItems=cleaned)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        names = [next(iter(i.values())).get("_name", "item") for i in items]
        raise TransactionConflict([names[i] for i, c in enumerate(codes) if c not in ("None", None)] or codes) from exc


def get_item(key: dict[str, str]) -> dict[str, Any] | None:
    got = client().get_item(TableName=table_name(), Key=_ser(key), ConsistentRead=True).get("Item")
    return _versioned(_strip(_deser(got))) if got else None


def query_partition(pk: str, begins_with: str | None = None) -> list[dict[str, Any]]:
    """Every item of one partition (a pool of experts), or those whose SK begins with a prefix."""
    condition, values = "PK = :pk", {":pk": {"S": pk}}
    if begins_with:
        condition += " AND begins_with(SK, :prefix)"
        values[":prefix"] = {"S": begins_with}
    return [_strip(i) for i in _query_all(KeyConditionExpression=condition, ExpressionAttributeValues=values)]


def get_many(keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """BatchGetItem (<= 100 keys) in one round trip, retrying unprocessed keys; keyed by (PK, SK)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    request: dict[str, Any] = {table_name(): {"Keys": [_ser(k) for k in keys], "ConsistentRead": True}}
    while request:
        response = client().batch_get_item(RequestItems=request)
        for raw in response["Responses"].get(table_name(), []):
            item = _deser(raw)
            found[(item["PK"], item["SK"])] = _versioned(_strip(item))
        request = dict(response.get("UnprocessedKeys") or {})
    return found


def due(kind: str, until: str, limit: int = 100, token: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 14: a page of what is due by `until` (inclusive), oldest first. Reads only what is due."""
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "Due",
        "KeyConditionExpression": "DUE_PK = :pk AND DUE_SK <= :until",
        "ExpressionAttributeValues": {":pk": {"S": f"DUE#{kind}"}, ":until": {"S": until + "\uffff"}},
        "Limit": limit,
    }
    start = decode_token(token, index_pk="DUE_PK", expected_pk=f"DUE#{kind}")
    if start:
        kwargs["ExclusiveStartKey"] = start
    page = client().query(**kwargs)
    return [_versioned(_strip(_deser(i))) for i in page.get("Items", [])], encode_token(page.get("LastEvaluatedKey"))


def objections_of_notice(notice_id: str) -> list[dict[str, Any]]:
    """Pattern 12, every objection filed against one notice."""
    items = _query_all(
        IndexName="GSI2",
        KeyConditionExpression="GSI2PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"NOTICE#{notice_id}"}},
    )
    return [_versioned(_strip(i)) for i in items]


def set_once(key: dict[str, str], attrs: dict[str, Any], guard: str) -> bool:
    """Set `attrs` unless `guard` is already set (a rendered artifact's record); False when it already was."""
    names = {f"#a{i}": k for i, k in enumerate(attrs)}
    values = {f":v{i}": attribute_value(v) for i, v in enumerate(attrs.values())}
    try:
        client().update_item(
            TableName=table_name(),
            Key=_ser(key),
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(attrs))),
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(#guard)",
            ExpressionAttributeNames={**names, "#guard": guard},
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def add_once(key: dict[str, str], adds: dict[str, int], *, marker_attr: str, marker: str) -> dict[str, Any] | None:
    """ADD counters once per `marker` (kept in a string set), so a redelivered message counts once: the counters'
    new values, or None when this marker was already counted."""
    names = {f"#a{i}": k for i, k in enumerate(adds)} | {"#m": marker_attr}
    values: dict[str, Any] = {f":v{i}": {"N": str(v)} for i, v in enumerate(adds.values())} | {
        ":mset": {"SS": [marker]},
        ":marker": {"S": marker},
    }
    try:
        response = client().update_item(
            TableName=table_name(),
            Key=_ser(key),
            UpdateExpression="ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(adds))) + ", #m :mset",
            ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(#m) OR NOT contains(#m, :marker))",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    new = _deser(response.get("Attributes") or {})
    return {k: new.get(k) for k in adds}


def update_if(key: dict[str, str], update: str, condition: str, names: dict[str, str], values: dict[str, Any]) -> bool:
    """One conditional UpdateItem, its expressions and (serialised) values as given; False when the condition
    failed."""
    try:
        client().update_item(
            TableName=table_name(),
            Key=_ser(key),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def notices_page(limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 10."""
    return _query_index("GSI1", "GSI1PK", "NOTICES", limit, token)


def put_document(application_id: str, expected_version: int, document: dict[str, Any]) -> None:
    """Record an upload ticket, only while the application is still the version that allowed it."""
    client().transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": table_name(),
                    "Key": _ser(application_key(application_id)),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
                }
            },
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": _ser(
                        {**document_key(application_id, document["document_id"]), "type": "document", **document}
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
    )
