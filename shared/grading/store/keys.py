"""Every key and index attribute of the table, by entity: what a record's PK/SK and its index memberships are
(the access patterns and the items are tabled in the package docstring). Pure: no client."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from grading.clock import iso

if TYPE_CHECKING:
    pass


def pk_sk(key: dict[str, str]) -> tuple[str, str]:
    """A key as the (PK, SK) pair dal.get_many answers by."""
    return key["PK"], key["SK"]


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


def member_key(credit_code: str, sub: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"MEMBER#{sub}"}


def member_indexes(member: dict[str, Any]) -> dict[str, str]:
    return {"GSI2PK": f"MEMBER_OF#{member['sub']}", "GSI2SK": member["credit_code"]}


def invitation_key(invitation_id: str) -> dict[str, str]:
    return {"PK": f"INVITATION#{invitation_id}", "SK": "INVITATION"}


def application_summary_key(credit_code: str, submitted_at: str, application_id: str) -> dict[str, str]:
    return {"PK": f"PROVIDER#{credit_code}", "SK": f"APP#{submitted_at}#{application_id}"}


SUMMARY_FIELDS = ("application_id", "credit_code", "status", "submitted_at", "updated_at", "owner_sub")


# A constant, not a stored setting: DOMAIN.md asks for a pending scorecard to be told, without a number to tune,
# and a reminder decides nothing (no version to record). It is stamped into the Due index when the panel is drawn.
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


def objection_key(objection_id: str) -> dict[str, str]:
    return {"PK": f"OBJECTION#{objection_id}", "SK": "OBJECTION"}


def objection_indexes(objection: dict[str, Any]) -> dict[str, str]:
    return {
        "GSI1PK": f"OBJECTIONS#{objection['status']}",
        "GSI1SK": f"{objection['filed_at']}#{objection['objection_id']}",
        "GSI2PK": f"NOTICE#{objection['notice_id']}",
        "GSI2SK": f"{objection['filed_at']}#{objection['objection_id']}",
    }


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


def idempotency_key(operation: str, sub: str, key: str) -> dict[str, str]:
    """Pattern 6: a key is scoped to its caller, so two users cannot collide."""
    digest = hashlib.sha256(f"{sub}\n{key}".encode()).hexdigest()
    return {"PK": f"IDEMPOTENCY#{operation}", "SK": digest}


# --- re-grading runs (patterns 19, 20) ---------------------------------------------------------------------


def run_key(run_id: str) -> dict[str, str]:
    return {"PK": f"REGRADING#{run_id}", "SK": "#RUN"}


def counter_key(run_id: str, shard: int) -> dict[str, str]:
    return {"PK": f"REGRADING#{run_id}", "SK": f"#SHARD#{shard:02d}"}


def result_key(run_id: str, credit_code: str) -> dict[str, str]:
    return {"PK": f"REGRADING#{run_id}", "SK": f"ITEM#{credit_code}"}


def year_lock_key(year: int) -> dict[str, str]:
    return {"PK": f"REGRADING_YEAR#{year}", "SK": "ACTIVE"}


# --- notifications (access patterns 32-37): a recipient is keyed by the SHA-256 of its lower-cased address, never the
# address itself
def recipient_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def delivery_key(event_id: str, email: str) -> dict[str, str]:
    return {"PK": f"NOTIFY#{event_id}", "SK": f"TO#{recipient_hash(email)}"}


def cap_key(email: str, day: str) -> dict[str, str]:
    return {"PK": f"NOTIFY_CAP#{recipient_hash(email)}", "SK": f"DAY#{day}"}


def prefs_key(email: str) -> dict[str, str]:
    return {"PK": f"CONTACT#{recipient_hash(email)}", "SK": "PREFS"}


def token_key(token: str) -> dict[str, str]:
    return {"PK": f"UNSUBSCRIBE#{token}", "SK": "TOKEN"}
