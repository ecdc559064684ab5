"""The one module that talks to DynamoDB. One table holds every record; keys say what an item is.

Access patterns (keep this table in step with the code and template.yaml):

| # | pattern                                   | operation / key condition                                   | index |
|---|-------------------------------------------|-------------------------------------------------------------|-------|
| 1 | an application's dossier: the application, documents, panels, scorecards | Query PK=APP#<id>  | table |
| 2 | applications in a status, newest first    | Query GSI1PK=STATUS#<status>, GSI1SK desc (<updated>#<id>)  | GSI1  |
| 3 | a provider user's applications, newest    | Query GSI2PK=OWNER#<sub>, GSI2SK desc (<submitted>#<id>)    | GSI2  |
| 4 | a provider and its active-application slot| BatchGet PROVIDER#<cc>/PROFILE + PROVIDER#<cc>/ACTIVE_APPLICATION | table |
| 5 | a provider's audit trail, in order        | Query PK=PROVIDER#<cc>, SK begins_with AUDIT#               | table |
| 6 | an Idempotency-Key's answer               | GetItem (in the same BatchGet as the reads of the request) IDEMPOTENCY#<operation> / sha256(<sub>, <key>); written in the request's transaction; TTL `ttl` | table |
| 7 | an expert                                 | GetItem EXPERT#<id> / PROFILE                               | table |
| 8 | the expert pool of a category             | GetItem POOL#<category> / MEMBERS (an attribute E#<expert> per member; BatchGet with the provider when a panel is drawn) | table |
| 9 | the current evaluation scheme / a version | GetItem SCHEME / CURRENT, SCHEME / VERSION#<version>        | table |
| 10| public notices, newest first              | Query GSI1PK=NOTICES, GSI1SK desc (<published>#<id>)        | GSI1  |
| 11| one notice                                | GetItem NOTICE#<id> / NOTICE                                | table |
| 12| an objection; a notice's objections       | GetItem OBJECTION#<id>; Query GSI2PK=NOTICE#<id>            | table, GSI2 |
| 13| a certificate by number                   | GetItem CERT#<number> / CERTIFICATE                         | table |
| 14| what is due by a moment (sparse)          | Query DUE_PK=DUE#<kind>, DUE_SK <= <when>                   | Due   |
| 15| a provider's assessment of a period       | GetItem PROVIDER#<cc> / ASSESSMENT#<period>                 | table |
| 16| a provider's assessments, in period order | Query PK=PROVIDER#<cc>, SK begins_with ASSESSMENT#          | table |
| 17| a rectification order                     | GetItem RECT#<id> / RECTIFICATION                           | table |
| 18| certified providers, in 16 shards, whole  | Query GSI1PK=CERTIFIED#<shard> (sparse: certified, not eliminated; projects every attribute, so a page is the read) | GSI1 |
| 19| a re-grading run with its counter shards  | BatchGet REGRADING#<run id> / #RUN + #SHARD#<nn> (one per certified shard) | table |
| 20| a run's per-provider results (report)     | Query PK=REGRADING#<run id>, SK begins_with ITEM#           | table |
| 21| a provider's declared qualification       | GetItem PROVIDER#<cc> / QUAL#<number>; its review reads it in one BatchGet with the provider and the assessment settings | table |
| 22| a provider's rectification orders         | Query GSI2PK=RECTS#<cc>, newest first (orders written before members: RECTS#<owner sub>) | GSI2  |
| 23| the current version of a settings document | GetItem SETTINGS#<name> / CURRENT (with the others in one BatchGet; a change of a rectification order, a declared qualification reads the assessment settings in the BatchGet of its provider and the caller's membership, policy_store.key_of / from_found; a graded decision reads the notice and calendar settings in the BatchGet of its provider, get_provider_with) | table |
| 24| one stored version of a settings document  | GetItem SETTINGS#<name> / VERSION#<6 digits>                | table |
| 25| objections in a status, newest first       | Query GSI1PK=OBJECTIONS#<status>, GSI1SK desc (<filed>#<id>) | GSI1 |
| 26| certified providers missing a period       | Query GSI1PK=CERTIFIED#<shard> (pattern 18), each page filtered on its projected `assessment_results` | GSI1 |
| 27| a user's membership of a provider         | GetItem PROVIDER#<cc> / MEMBER#<sub>; where the provider record is read too, one BatchGet of both (members.provider_and_membership: an application's owner check, with its dossier) | table |
| 28| a provider's members                      | Query PK=PROVIDER#<cc>, SK begins_with MEMBER# (consistent); with the provider record: SK BETWEEN MEMBER# AND PROFILE, one Query (provider_with_members: listing and changing members) | table |
| 29| the providers a user is a member of       | Query GSI2PK=MEMBER_OF#<sub> (GSI2SK = <cc>)                | GSI2  |
| 30| an invitation (its code = <id>.<secret>)  | GetItem INVITATION#<id> / INVITATION                        | table |
| 31| a provider's applications, newest first   | Query PK=PROVIDER#<cc>, SK begins_with APP# (a summary copy written in every application transaction) | table |
| 32| one email of one event to one recipient   | GetItem / conditional Put NOTIFY#<event id> / TO#<sha256(email)> (claim with a lease, then `sent`; TTL) | table |
| 33| reminders sent to a recipient on a day    | UpdateItem ADD NOTIFY_CAP#<sha256(email)> / DAY#<date> (in the claim's transaction; TTL) | table |
| 34| a recipient's reminder preference         | GetItem CONTACT#<sha256(email)> / PREFS; the unsubscribe link's token UNSUBSCRIBE#<token> / TOKEN | table |
| 35| the registered reviewers' emails          | Query PK=STAFF#reviewers (one item per reviewer, SK <sub>)  | table |
| 36| rectification deadlines in the next days  | Query DUE_PK=DUE#RECT_DEADLINE, DUE_SK between <tomorrow> and <in 3 days> | Due |
| 37| open panels drawn 3 days ago (scorecards) | Query DUE_PK=DUE#CARD_REMIND, DUE_SK <= <now> (keys kept: the application is in PK) | Due |

Due kinds (present only while there is something to do, removed in the transaction that does it):
`DUE#NOTICE_CLOSE` (open notices, by window_closes_at), `DUE#CERT_EXPIRY` (valid certificates, by valid_until),
`DUE#ELIMINATION` (providers at the consecutive-failure limit, by when they reached it), `DUE#RECT_DEADLINE`
(rectification orders waiting on the provider, by deadline), `DUE#RETURN_DEADLINE` (returned applications, by
their 补正 deadline: the sweep lapses them), `DUE#QUAL_REMIND` (qualifications, by the day 30 days
before they expire), then `DUE#QUAL_EXPIRY` (reminded qualifications, by their expiry date), `DUE#CARD_REMIND`
(open panels, by 3 days after the draw: the daily sweep reminds the experts whose scorecard is missing).
The notice board (`GET /notices`, grading.pages) reads `DUE#NOTICE_CLOSE` whole as the list of open notices
(pattern 14 with no upper bound), then pattern 10 for the rest; the certificate page is pattern 13 alone.
The notification items (patterns 32-35) are read and written by `dal_notify.py`, with this module's client.

Items:

| item                   | PK               | SK                    | GSI1PK / GSI1SK               | GSI2PK / GSI2SK             |
|------------------------|------------------|-----------------------|-------------------------------|-----------------------------|
| provider               | PROVIDER#<cc>    | PROFILE               |                               |                             |
| active-application slot| PROVIDER#<cc>    | ACTIVE_APPLICATION    |                               |                             |
| audit entry            | PROVIDER#<cc>    | AUDIT#<seq, 10 digits>|                               |                             |
| application            | APP#<id>         | APPLICATION           | STATUS#<status> / <updated>#<id> | OWNER#<sub> / <submitted>#<id> (Due: DUE#RETURN_DEADLINE while returned) |
| document               | APP#<id>         | DOC#<doc id>          |                               |                             |
| panel (one per round)  | APP#<id>         | PANEL#<round, 2 digits>|                              |                             |
| scorecard              | APP#<id>         | CARD#<round>#<expert> |                               |                             |
| expert                 | EXPERT#<id>      | PROFILE               |                               |                             |
| expert pool (category) | POOL#<category>  | MEMBERS (E#<id> each) |                               |                             |
| scheme version         | SCHEME           | VERSION#<version>     |                               |                             |
| current scheme (copy)  | SCHEME           | CURRENT               |                               |                             |
| notice                 | NOTICE#<id>      | NOTICE                | NOTICES / <published>#<id>    | (Due: DUE#NOTICE_CLOSE)     |
| objection              | OBJECTION#<id>   | OBJECTION             | OBJECTIONS#<status> / <filed>#<id> | NOTICE#<notice id> / <filed>#<id> |
| settings (current copy)| SETTINGS#<name>  | CURRENT               |                               |                             |
| settings version       | SETTINGS#<name>  | VERSION#<6 digits>    |                               |                             |
| certificate            | CERT#<number>    | CERTIFICATE           |                               | (Due: DUE#CERT_EXPIRY)      |
| assessment             | PROVIDER#<cc>    | ASSESSMENT#<period>   |                               |                             |
| rectification order    | RECT#<id>        | RECTIFICATION         |                               | RECTS#<cc> / <opened>#<id> (Due: DUE#RECT_DEADLINE) |
| qualification          | PROVIDER#<cc>    | QUAL#<number>         |                               | (Due: DUE#QUAL_REMIND, then DUE#QUAL_EXPIRY) |
| provider (certified)   | PROVIDER#<cc>    | PROFILE               | CERTIFIED#<shard> / <cc>      |                             |
| member (admin, member) | PROVIDER#<cc>    | MEMBER#<sub>          |                               | MEMBER_OF#<sub> / <cc>      |
| invitation             | INVITATION#<id>  | INVITATION            |                               |                             |
| application summary    | PROVIDER#<cc>    | APP#<submitted>#<id>  |                               |                             |
| re-grading run         | REGRADING#<run>  | #RUN                  |                               |                             |
| run counter (per shard)| REGRADING#<run>  | #SHARD#<nn>           |                               |                             |
| run result per provider| REGRADING#<run>  | ITEM#<cc>             |                               |                             |
| one run per year lock  | REGRADING_YEAR#<year> | ACTIVE           |                               |                             |

Concurrency: every change to a provider or its applications is one transaction that appends the provider's next
audit entry, conditional on the provider's `audit_seq` being the one read (optimistic lock), and on the
application's `version`. The single active application per credit code is the ACTIVE_APPLICATION item, put with
`attribute_not_exists` in the same transaction: the database, not a read, decides who wins.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from grading.audit import AuditEntry
from grading.clock import iso
from grading.config import settings
from grading.errors import InvalidInput

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRS = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "DUE_PK", "DUE_SK", "type")


@cache
def client() -> DynamoDBClient:
    # Requests are built here from typed records, and DynamoDB validates them again: botocore's client-side
    # validation walks every attribute of every item (a third of the client's time on a 100-item transaction).
    return boto3.client("dynamodb", config=Config(parameter_validation=False))


def table_name() -> str:
    return settings().table_name


# --- keys ---------------------------------------------------------------------------------------------------


def provider_key(credit_code: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": "PROFILE"}


def slot_key(credit_code: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": "ACTIVE_APPLICATION"}


def audit_key(credit_code: str, seq: int) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"AUDIT#{seq:010d}"}


def application_key(application_id: str) -> dict[str, str]:
    return {"PK": f"APP#{application_id}", "SK": "APPLICATION"}


def document_key(application_id: str, document_id: str) -> dict[str, str]:
    return {"PK": f"APP#{application_id}", "SK": f"DOC#{document_id}"}


def panel_key(application_id: str, round_: int) -> dict[str, str]:
    return {"PK": f"APP#{application_id}", "SK": f"PANEL#{round_:02d}"}


def card_key(application_id: str, round_: int, expert_id: str) -> dict[str, str]:
    return {"PK": f"APP#{application_id}", "SK": f"CARD#{round_:02d}#{expert_id}"}


def expert_key(expert_id: str) -> dict[str, str]:
    return {"PK": f"EXPERT#{expert_id}", "SK": "PROFILE"}


def pool_key(category: str) -> dict[str, str]:
    """One item per category; each member is an attribute `E#<expert id>` (~100 bytes: ~4,000 experts fit)."""
    return {"PK": f"POOL#{category}", "SK": "MEMBERS"}


POOL_MEMBER_PREFIX = "E#"


def pool_members(item: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The members of a pool item, in expert order."""
    return [v for k, v in sorted((item or {}).items()) if k.startswith(POOL_MEMBER_PREFIX)]


def scheme_key(version: str) -> dict[str, str]:
    return {"PK": "SCHEME", "SK": f"VERSION#{version}"}


CURRENT_SCHEME_KEY = {"PK": "SCHEME", "SK": "CURRENT"}


def notice_key(notice_id: str) -> dict[str, str]:
    return {"PK": f"NOTICE#{notice_id}", "SK": "NOTICE"}


def notice_indexes(notice: dict[str, Any]) -> dict[str, str]:
    indexes = {"GSI1PK": "NOTICES", "GSI1SK": f"{notice['published_at']}#{notice['notice_id']}"}
    if notice.get("status") == "open":
        indexes |= {"DUE_PK": "DUE#NOTICE_CLOSE", "DUE_SK": f"{notice['window_closes_at']}#{notice['notice_id']}"}
    return indexes


def assessment_key(credit_code: str, period: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"ASSESSMENT#{period}"}


ASSESSMENT_SCHEME_KEY = {"PK": "ASSESSMENT_SCHEME", "SK": "CURRENT"}


def rectification_key(rectification_id: str) -> dict[str, str]:
    return {"PK": f"RECT#{rectification_id}", "SK": "RECTIFICATION"}


def rectification_indexes(order: dict[str, Any]) -> dict[str, str]:
    indexes = {
        "GSI2PK": f"RECTS#{order['credit_code']}",
        "GSI2SK": f"{order['opened_at']}#{order['rectification_id']}",
    }
    if order.get("status") in ("open", "rejected"):
        indexes |= {"DUE_PK": "DUE#RECT_DEADLINE", "DUE_SK": f"{order['deadline']}#{order['rectification_id']}"}
    return indexes


def rectifications_of_provider(credit_code: str, limit: int, token: str | None) -> tuple[list[dict], str | None]:
    """Pattern 22."""
    return _query_index("GSI2", "GSI2PK", f"RECTS#{credit_code}", limit, token)


def member_key(credit_code: str, sub: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"MEMBER#{sub}"}


def member_indexes(member: dict[str, Any]) -> dict[str, str]:
    return {"GSI2PK": f"MEMBER_OF#{member['sub']}", "GSI2SK": member["credit_code"]}


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


def invitation_key(invitation_id: str) -> dict[str, str]:
    return {"PK": f"INVITATION#{invitation_id}", "SK": "INVITATION"}


def application_summary_key(credit_code: str, submitted_at: str, application_id: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"APP#{submitted_at}#{application_id}"}


SUMMARY_FIELDS = ("application_id", "credit_code", "status", "submitted_at", "updated_at", "owner_sub")


def applications_of_provider(credit_code: str) -> list[dict[str, Any]]:
    """Pattern 31, newest first."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :a)",
        ExpressionAttributeValues={":pk": {"S": f"PROVIDER#{credit_code}"}, ":a": {"S": "APP#"}},
        ScanIndexForward=False,
    )
    return [_strip(i) for i in items]


CARD_REMIND_AFTER = timedelta(days=3)


def panel_indexes(record: dict[str, Any], application_id: str) -> dict[str, str]:
    """An open panel is due for a scorecard reminder 3 days after its draw (pattern 37)."""
    if record.get("status") != "open" or not record.get("drawn_at"):
        return {}
    due = datetime.fromisoformat(str(record["drawn_at"]).replace("Z", "+00:00")) + CARD_REMIND_AFTER
    return {"DUE_PK": "DUE#CARD_REMIND", "DUE_SK": f"{iso(due)}#{application_id}#{int(record['round']):02d}"}


def qualification_key(credit_code: str, number: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"QUAL#{number}"}


def qualification_indexes(q: dict[str, Any]) -> dict[str, str]:
    """In the Due index twice in its life: first for the reminder day, then (once reminded) for its expiry."""
    where = f"{q['credit_code']}#{q['number']}"
    if q.get("status") == "valid":
        return {"DUE_PK": "DUE#QUAL_REMIND", "DUE_SK": f"{q['remind_on']}#{where}"}
    if q.get("status") == "expiring":
        return {"DUE_PK": "DUE#QUAL_EXPIRY", "DUE_SK": f"{q['valid_until']}#{where}"}
    return {}


CERTIFIED_SHARDS = 16


def certified_shard(credit_code: str) -> int:
    return int(hashlib.sha256(credit_code.encode()).hexdigest(), 16) % CERTIFIED_SHARDS


def provider_indexes(provider: dict[str, Any]) -> dict[str, str]:
    """Sparse memberships: certified providers (sharded, for the annual re-grading) and, while it waits to be
    eliminated, the Due index."""
    indexes: dict[str, str] = {}
    if provider.get("certificate") and provider.get("status") != "eliminated":
        shard = certified_shard(provider["credit_code"])
        indexes |= {"GSI1PK": f"CERTIFIED#{shard:02d}", "GSI1SK": provider["credit_code"]}
    if provider.get("elimination_due_at") and provider.get("status") != "eliminated":
        indexes |= {
            "DUE_PK": "DUE#ELIMINATION",
            "DUE_SK": f"{provider['elimination_due_at']}#{provider['credit_code']}",
        }
    return indexes


def certified_page(shard: int, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Pattern 18: one page of one shard of the certified providers."""
    return _query_index("GSI1", "GSI1PK", f"CERTIFIED#{shard:02d}", limit, token, newest_first=False)


def assessments_of(credit_code: str) -> list[dict[str, Any]]:
    """Pattern 16."""
    return [i for i in query_partition(f"PROVIDER#{credit_code}", begins_with="ASSESSMENT#")]


def objection_key(objection_id: str) -> dict[str, str]:
    return {"PK": f"OBJECTION#{objection_id}", "SK": "OBJECTION"}


def objection_indexes(objection: dict[str, Any]) -> dict[str, str]:
    return {
        "GSI1PK": f"OBJECTIONS#{objection['status']}",
        "GSI1SK": f"{objection['filed_at']}#{objection['objection_id']}",
        "GSI2PK": f"NOTICE#{objection['notice_id']}",
        "GSI2SK": f"{objection['filed_at']}#{objection['objection_id']}",
    }


def objections_by_status(status: str, limit: int, token: str | None) -> tuple[list[dict], str | None]:
    """Pattern 25."""
    return _query_index("GSI1", "GSI1PK", f"OBJECTIONS#{status}", limit, token)


def settings_key(name: str, version: int | None = None) -> dict[str, str]:
    """Patterns 23 and 24: the current copy (version None) or one stored version."""
    return {"PK": f"SETTINGS#{name}", "SK": "CURRENT" if version is None else f"VERSION#{version:06d}"}


def certificate_key(number: str) -> dict[str, str]:
    return {"PK": f"CERT#{number}", "SK": "CERTIFICATE"}


def certificate_indexes(certificate: dict[str, Any]) -> dict[str, str]:
    if certificate.get("status") != "valid":
        return {}
    return {"DUE_PK": "DUE#CERT_EXPIRY", "DUE_SK": f"{certificate['valid_until']}#{certificate['number']}"}


def _application_indexes(app: dict[str, Any]) -> dict[str, str]:
    indexes = {
        "GSI1PK": f"STATUS#{app['status']}",
        "GSI1SK": f"{app['updated_at']}#{app['application_id']}",
        "GSI2PK": f"OWNER#{app['owner_sub']}",
        "GSI2SK": f"{app['submitted_at']}#{app['application_id']}",
    }
    if app["status"] == "returned" and app.get("return_deadline"):
        indexes |= {"DUE_PK": "DUE#RETURN_DEADLINE", "DUE_SK": f"{app['return_deadline']}#{app['application_id']}"}
    return indexes


# --- (de)serialisation --------------------------------------------------------------------------------------


def _ser(item: dict[str, Any]) -> dict[str, Any]:
    return {k: attribute_value(v) for k, v in item.items() if v is not None}


_MAX_INT = 10**38  # DynamoDB numbers carry 38 significant digits; past that boto3's checks apply


def attribute_value(value: Any) -> dict[str, Any]:
    """boto3's TypeSerializer, with a short path for the types records are made of (strings, whole numbers,
    booleans, maps, lists): it is called for every attribute of every item written (tests/unit/test_dal_types.py
    holds it to TypeSerializer's answers). Anything else (Decimal, sets, bytes, ...) goes to TypeSerializer."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: attribute_value(v) for k, v in value.items()}}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_MAX_INT < value < _MAX_INT:
        return {"N": str(value)}
    if kind is list:
        return {"L": [attribute_value(v) for v in value]}
    if value is None:
        return {"NULL": True}
    return dict(_serializer.serialize(value))


def _plain(value: Any) -> Any:
    """Whole numbers come back from DynamoDB as Decimal('2'); give them back as ints. Fractional numbers stay
    Decimal, and totals are stored as strings so their two places survive."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _deser(item: dict[str, Any]) -> dict[str, Any]:
    return {k: python_value(v) for k, v in item.items()}


def python_value(value: dict[str, Any]) -> Any:
    """TypeDeserializer then `_plain`, with a short path for strings, numbers, maps, lists, booleans and nulls
    (tests/unit/test_dal_types.py holds it to their answers); sets and binary go the long way."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else number
    if kind == "M":
        return {k: python_value(v) for k, v in inner.items()}
    if kind == "L":
        return [python_value(v) for v in inner]
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    return _plain(_deserializer.deserialize(value))  # type: ignore[arg-type]


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _KEY_ATTRS}


def _ints(value: Any) -> Any:
    """DynamoDB returns every number as Decimal; whole numbers in our records are counters and versions."""
    return int(value) if value is not None else None


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


def idempotency_key(operation: str, sub: str, key: str) -> dict[str, str]:
    """Pattern 6: a key is scoped to its caller, so two users cannot collide."""
    digest = hashlib.sha256(f"{sub}\n{key}".encode()).hexdigest()
    return {"PK": f"IDEMPOTENCY#{operation}", "SK": digest}


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


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_token(token: str | None, *, index_pk: str, expected_pk: str) -> dict[str, Any] | None:
    """A next_token is only valid for the list it came from; anything else is a 422, not a 500."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
        valid = isinstance(key, dict) and key.get(index_pk) == {"S": expected_pk}
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidInput.field("next_token", "is not a token from this list")
    start: dict[str, Any] = key
    return start


def _query_index(
    index: str, pk_attr: str, pk: str, limit: int, token: str | None, newest_first: bool = True
) -> tuple[list[dict], str | None]:
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


def applications_by_status(status: str, limit: int, token: str | None) -> tuple[list[dict], str | None]:
    """Pattern 2."""
    return _query_index("GSI1", "GSI1PK", f"STATUS#{status}", limit, token)


def applications_by_owner(owner_sub: str, limit: int, token: str | None) -> tuple[list[dict], str | None]:
    """Pattern 3."""
    return _query_index("GSI2", "GSI2PK", f"OWNER#{owner_sub}", limit, token)


# --- writes -------------------------------------------------------------------------------------------------


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


def commit(change: Change) -> None:
    """Write one Change as a single transaction; raise TransactionConflict naming the failed conditions."""
    cc = change.credit_code
    provider = {
        **change.provider,
        "audit_seq": change.audit.seq,
        "audit_head": change.audit.hash,
        **provider_indexes(change.provider),
    }
    items: list[Any] = []
    if change.expected_seq == 0:
        items.append(
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": _ser({**provider_key(cc), "type": "provider", **provider}),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
    else:
        items.append(
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": _ser({**provider_key(cc), "type": "provider", **provider}),
                    "ConditionExpression": "audit_seq = :seq",
                    "ExpressionAttributeValues": {":seq": {"N": str(change.expected_seq)}},
                }
            }
        )
    items.append(
        {
            "Put": {
                "TableName": table_name(),
                "Item": _ser(
                    {
                        **audit_key(cc, change.audit.seq),
                        "type": "audit",
                        "seq": change.audit.seq,
                        "body": change.audit.body,
                        "hash": change.audit.hash,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
    )
    if change.application is not None:
        app = change.application
        new_version = (change.expected_version or 0) + 1
        put: dict[str, Any] = {
            "TableName": table_name(),
            "Item": _ser(
                {
                    **application_key(app["application_id"]),
                    "type": "application",
                    **_application_indexes(app),
                    **app,
                    "version": new_version,
                }
            ),
        }
        if change.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(change.expected_version)}}
        items.append({"Put": put})
        app["version"] = new_version
        summary = {k: app.get(k) for k in SUMMARY_FIELDS} | {
            "provider_name": (app.get("provider") or {}).get("name"),
            "category": (app.get("provider") or {}).get("category"),
        }
        key = application_summary_key(cc, app["submitted_at"], app["application_id"])
        items.append(
            {"Put": {"TableName": table_name(), "Item": _ser({**key, "type": "application_summary", **summary})}}
        )
    if change.slot == "acquire":
        assert change.application is not None
        items.append(
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": _ser(
                        {
                            **slot_key(cc),
                            "type": "slot",
                            "application_id": change.application["application_id"],
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
    elif change.slot == "release":
        assert change.application is not None
        items.append(
            {
                "Delete": {
                    "TableName": table_name(),
                    "Key": _ser(slot_key(cc)),
                    "ConditionExpression": "application_id = :id",
                    "ExpressionAttributeValues": {":id": {"S": change.application["application_id"]}},
                }
            }
        )
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


def notices_page(limit: int, token: str | None) -> tuple[list[dict], str | None]:
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
