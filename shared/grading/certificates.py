"""Certificates (证书): their numbers, the public check, and every change of one: issue, renew, supersede, revoke,
expire. The daily sweep issues (`certify`) and expires them, the annual re-grading renews or supersedes them, an
elimination revokes them; each builds its transaction items here, so one set of guards holds for all of them.

Numbers: `SG-<year>-<credit code>-<NN>`, NN the provider's certificate count, kept on the provider record under its
optimistic lock: unique because credit codes are.

The guard: a held certificate is replaced as a whole, conditional on the `version` read, and because the renderer
records its PDF without a version (`artifacts.record_certificate_pdf`), also on the PDF read still being the one
there: a change never erases a PDF recorded after its read; it loses the race and is decided again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from grading import dal, policy_store, readmission
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.errors import Conflict, NotFound
from grading.lifecycle import Action, Status, history_entry, releases_slot, transition
from grading.models import CertificateView
from grading.races import exhausted, retrying
from grading.standing import qualification_record, reminder_day
from grading.store import certificates as store_certificates
from grading.store import objects as storage
from grading.store import qualifications as store_qualifications

SWEEP = "daily-sweep"

# --- numbers and the public check ---------------------------------------------------------------------------


def number(year: int, credit_code: str, seq: int) -> str:
    return f"SG-{year}-{credit_code}-{seq:02d}"


def status(certificate: dict[str, Any], today: date) -> str:
    """Stored status, except that a valid certificate past its date reads as expired even before the sweep."""
    stored = str(certificate["status"])
    if stored == "valid" and date.fromisoformat(certificate["valid_until"]) < today:
        return "expired"
    return stored


def get_certificate(certificate_number: str, now: datetime) -> CertificateView:
    """The public verification of a certificate by its number (pattern 13)."""
    certificate = dal.get_item(dal.certificate_key(certificate_number))
    if certificate is None:
        raise NotFound(f"no certificate {certificate_number}")
    return CertificateView(
        number=certificate["number"],
        status=status(certificate, local_date(now)),  # type: ignore[arg-type]
        grade=int(certificate["grade"]),
        provider_name=certificate["provider_name"],
        credit_code=certificate["credit_code"],
        category=certificate["category"],
        issued_on=certificate["issued_on"],
        valid_until=certificate["valid_until"],
        scheme_version=certificate["scheme_version"],
        pdf_sha256=certificate.get("pdf_sha256"),
        pdf_url=f"/v1/certificates/{certificate_number}/pdf" if certificate.get("pdf_key") else None,
    )


def pdf_url(certificate_number: str) -> str:
    certificate = dal.get_item(dal.certificate_key(certificate_number))
    if certificate is None:
        raise NotFound(f"no certificate {certificate_number}")
    if not certificate.get("pdf_key"):
        raise Conflict("the certificate PDF is being rendered", code="NOT_YET_RENDERED")
    return storage.presigned_get(certificate["pdf_key"], seconds=300)


# --- reading what a provider holds ---------------------------------------------------------------------------


def number_held(provider: dict[str, Any] | None) -> str:
    """The number of the provider's current certificate, or ""."""
    return str(((provider or {}).get("certificate") or {}).get("number") or "")


def held_by(provider: dict[str, Any]) -> dict[str, Any] | None:
    """The provider's current certificate record, read consistently; None when it holds none."""
    held = number_held(provider)
    return dal.get_item(dal.certificate_key(held)) if held else None


def held_by_each(providers: list[dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """The current certificate of each provider, by number: BatchGets of up to 100."""
    keys = [dal.certificate_key(number_held(p)) for p in providers if number_held(p)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(0, len(keys), 100):
        found |= dal.get_many(keys[i : i + 100])
    return {c["number"]: c for c in found.values()}


# --- the guards: which certificate may change, and the transaction items that change it ---------------------


def can_supersede(held: dict[str, Any] | None) -> bool:
    """Only a valid certificate is renewed or superseded (a revoked or expired one is not brought back)."""
    return held is not None and held.get("status") == "valid"


def can_revoke(held: dict[str, Any] | None) -> bool:
    return held is not None and held.get("status") in ("valid", "expired")


def issue(certificate: dict[str, Any]) -> dict[str, Any]:
    """A new certificate: its number is new (attribute_not_exists), in the Due index until it expires."""
    return store_certificates.new_certificate_item(certificate)


def _replace(held: dict[str, Any], after: dict[str, Any], name: str) -> dict[str, Any]:
    """The held certificate replaced as a whole, under the one guard (the module docstring)."""
    return store_certificates.replaced_certificate_item(held, after, name)


def renew(held: dict[str, Any], valid_until: str, at: str) -> dict[str, Any]:
    """Renewed in place with a new date; its PDF is rendered again."""
    renewed = {k: v for k, v in held.items() if k not in ("pdf_key", "pdf_sha256")}
    return _replace(held, renewed | {"valid_until": valid_until, "renewed_at": at}, "certificate")


def supersede(held: dict[str, Any], by: str, at: str) -> dict[str, Any]:
    """Replaced by the certificate numbered `by`, issued in the same transaction."""
    return _replace(held, {**held, "status": "superseded", "superseded_by": by, "superseded_at": at}, "old-certificate")


def revoke(held: dict[str, Any], at: str, reason: str) -> dict[str, Any]:
    return _replace(held, {**held, "status": "revoked", "revoked_at": at, "revoked_reason": reason}, "certificate")


def expire(held: dict[str, Any], at: str) -> dict[str, Any]:
    return _replace(held, {**held, "status": "expired", "expired_at": at}, "certificate")


# --- the annual re-grading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regraded:
    kept: bool  # the same grade: renewed in place; otherwise a new certificate supersedes the held one
    grade: int
    valid_until: str
    scheme_version: str


def regraded(
    provider: dict[str, Any], held: dict[str, Any], change: Regraded, run_id: str, now: datetime
) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """The provider's certificate summary and count after a re-grading, and the writes that make it so."""
    at = iso(now)
    seq = int(provider.get("certificate_seq") or 1)
    if change.kept:  # the PDF is rendered again with the new date
        return (
            {**provider["certificate"], "valid_until": change.valid_until},
            seq,
            [renew(held, change.valid_until, at)],
        )
    today = local_date(now)
    new_number = number(today.year, provider["credit_code"], seq + 1)
    new_certificate = {
        "number": new_number,
        "credit_code": provider["credit_code"],
        "provider_name": provider.get("name", ""),
        "category": provider.get("category"),
        "grade": change.grade,
        "scheme_version": change.scheme_version,
        "issued_on": today.isoformat(),
        "valid_until": change.valid_until,
        "status": "valid",
        "issued_at": at,
        "regrading_run": run_id,
    }
    writes = [issue(new_certificate), supersede(held, new_number, at)]
    return {"number": new_number, "valid_until": change.valid_until}, seq + 1, writes


# --- the daily sweep's steps --------------------------------------------------------------------------------


def _qualifications(app: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The application's declared qualifications as the provider's records, by number."""
    return {
        q["number"]: {
            **{k: v for k, v in q.items() if k != "type"},
            "qualification_type": q["type"],  # `type` is the table's item-type attribute
            "version": 1,
            "credit_code": app["credit_code"],
            "status": "valid",
            "remind_on": reminder_day(q["valid_until"]),
        }
        for q in app.get("qualifications", [])
    }


def _certificate_of(
    app: dict[str, Any], certificate_number: str, today: date, at: str, stored: policy_store.Stored
) -> dict[str, Any]:
    """A first certificate, valid for the stored `certificate` settings' days, whose version it records."""
    return {
        "number": certificate_number,
        "application_id": app["application_id"],
        "credit_code": app["credit_code"],
        "provider_name": app["provider"]["name"],
        "category": app["provider"]["category"],
        "grade": int(app["grade"]),
        "total": app.get("total"),
        "scheme_version": app.get("scheme_version") or "v1",
        "issued_on": today.isoformat(),
        "valid_until": (today + timedelta(days=stored.values.valid_days)).isoformat(),
        "settings": stored.ref,
        "status": "valid",
        "issued_at": at,
    }


def certify(application_id: str, notice_id: str, now: datetime, closing: dict[str, Any] | None = None) -> bool:
    """Issue the certificate (证书) of an application whose notice closed without objection; False if not ours."""

    def attempt() -> bool:
        dossier = dal.get_dossier(application_id)
        app = dossier.application
        if app is None or app["status"] != Status.IN_NOTICE.value or app.get("notice_id") != notice_id:
            return False  # already certified, or sent back by an upheld objection
        # The provider and the certificate settings in one BatchGet (patterns 4, 23).
        provider, found = dal.get_provider_with(app["credit_code"], policy_store.key_of("certificate"))
        assert provider is not None
        _certify(app, provider, now, closing, policy_store.from_found("certificate", found))
        return True

    return retrying(attempt, gave_up=exhausted)


def _certify(
    app: dict[str, Any],
    provider: dict[str, Any],
    now: datetime,
    closing: dict[str, Any] | None,
    stored: policy_store.Stored,
) -> None:
    today = local_date(now)
    at = iso(now)
    seq = int(provider.get("certificate_seq") or 0) + 1
    new_number = number(today.year, app["credit_code"], seq)
    certificate = _certificate_of(app, new_number, today, at, stored)
    extra = [issue(certificate)]
    if closing is not None:
        extra.append(closing)
    old_number = number_held(provider) or None
    old = held_by(provider)
    if can_supersede(old):
        assert old is not None
        extra.append(supersede(old, new_number, at))
    after = transition(app["status"], Action.CERTIFY)
    updated = {
        **app,
        "status": after.value,
        "certificate_number": new_number,
        "updated_at": at,
        "history": [*app["history"], history_entry(at, SWEEP, "certify", app["status"], after.value)],
    }
    data = {"application_id": app["application_id"], "number": new_number, "grade": certificate["grade"]}
    data["superseded"] = old_number
    qualifications = _qualifications(app)
    extra += [
        store_qualifications.copied_qualification_item(app["credit_code"], n, q)
        for n, q in sorted(qualifications.items())
        if q["valid_until"] > today.isoformat()
    ]
    provider_after = {
        **provider,
        "qualifications": {n: qualification_record(q) for n, q in qualifications.items()},
        "grade": certificate["grade"],
        "category": certificate["category"],
        "certificate": {"number": new_number, "valid_until": certificate["valid_until"]},
        "certificate_seq": seq,
        "evaluation_total": app.get("total"),  # the re-grading starts from the last site evaluation
        "certified_since": provider.get("certified_since") or today.isoformat(),
        "updated_at": at,
    }
    if readmission.needs_new_standing(provider):
        fields, closing_orders = readmission.new_standing(provider, at)
        provider_after |= {**fields, "certified_since": today.isoformat()}
        extra += closing_orders
        data |= {"new_standing": True, "closed_orders": len(closing_orders)}
    audit = entry_for(provider, at=at, actor=SWEEP, action="certificate.issued", data=data)
    dal.commit(
        dal.Change(
            app["credit_code"],
            provider_after,
            int(provider["audit_seq"]),
            audit,
            application=updated,
            expected_version=app["version"],
            slot="release" if releases_slot(app["status"], after) else None,
            extra=extra,
        )
    )


def expire_certificate(certificate: dict[str, Any], now: datetime) -> None:
    """The sweep's step for a valid certificate past its date (DUE#CERT_EXPIRY)."""
    provider = dal.get_provider(certificate["credit_code"])
    assert provider is not None
    at = iso(now)
    audit = entry_for(
        provider,
        at=at,
        actor=SWEEP,
        action="certificate.expired",
        data={"number": certificate["number"], "valid_until": certificate["valid_until"]},
    )
    dal.commit(
        dal.Change(
            certificate["credit_code"],
            {**provider, "updated_at": at},
            int(provider["audit_seq"]),
            audit,
            extra=[expire(certificate, at)],
        )
    )
