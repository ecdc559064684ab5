"""The daily sweep: what is due by "now" (taken from the schedule event, so any day can be replayed).

It reads only what is due, through the sparse Due index, page by page; each item is its own transaction, so
one failure does not stop the others and re-running the same day finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from grading import dal, elimination, lapse, overdue, qualifications, reminders
from grading.certificates import certify, expire_certificate
from grading.clock import iso, local_date
from grading.observability import logger
from grading.store import notices as store_notices


@dataclass
class SweepReport:
    now: str
    notices_closed: int = 0
    certificates_issued: int = 0
    certificates_expired: int = 0
    providers_eliminated: int = 0
    qualifications_reminded: int = 0
    qualifications_expired: int = 0
    applications_lapsed: int = 0
    rectifications_overdue: int = 0
    waiting_on_objections: int = 0
    rectification_reminders: int = 0
    scorecard_reminders: int = 0
    items_read: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _pages(kind: str, until: str, report: SweepReport) -> Any:
    token: str | None = None
    while True:
        items, token = dal.due(kind, until, limit=100, token=token)
        report.items_read += len(items)
        yield from items
        if not token:
            return


def run(now: datetime) -> SweepReport:
    report = SweepReport(now=iso(now))
    today = local_date(now).isoformat()
    yesterday = (local_date(now) - timedelta(days=1)).isoformat()
    _close_notices(now, report)
    _eliminations(now, report)
    _qualifications(today, yesterday, now, report)
    _lapse_returns(yesterday, now, report)
    _overdue_rectifications(yesterday, now, report)
    _expire_certificates(yesterday, now, report)
    try:
        for name, count in reminders.run(now).items():
            setattr(report, name, count)
    except Exception as exc:  # a reminder not raised today is raised by the re-run (or tomorrow), sent once
        logger.exception("reminders failed")
        report.failures.append({"item": "reminders", "error": repr(exc)})
    return report


def _close_notices(now: datetime, report: SweepReport) -> None:
    for notice in _pages("NOTICE_CLOSE", iso(now), report):
        try:
            close_notice(notice, now, report)
        except Exception as exc:  # one notice's failure must not stop the others; reported and retried
            logger.exception("closing notice failed", notice_id=notice.get("notice_id"))
            report.failures.append({"item": f"notice {notice.get('notice_id')}", "error": repr(exc)})


def _eliminations(now: datetime, report: SweepReport) -> None:
    for provider in _pages("ELIMINATION", iso(now), report):
        try:
            if elimination.eliminate(provider, now):
                report.providers_eliminated += 1
        except Exception as exc:
            logger.exception("elimination failed", credit_code=provider.get("credit_code"))
            report.failures.append({"item": f"provider {provider.get('credit_code')}", "error": repr(exc)})


def _qualifications(today: str, yesterday: str, now: datetime, report: SweepReport) -> None:
    for step, kind, until in (("remind", "QUAL_REMIND", today), ("expire", "QUAL_EXPIRY", yesterday)):
        for qualification in _pages(kind, until, report):
            try:
                if qualifications.advance_qualification(qualification, step, now):
                    report.qualifications_reminded += step == "remind"
                    report.qualifications_expired += step == "expire"
            except Exception as exc:
                logger.exception("qualification step failed", number=qualification.get("number"))
                report.failures.append({"item": f"qualification {qualification.get('number')}", "error": repr(exc)})


def _expire_certificates(yesterday: str, now: datetime, report: SweepReport) -> None:
    for certificate in _pages("CERT_EXPIRY", yesterday, report):
        try:
            expire_certificate(certificate, now)
            report.certificates_expired += 1
        except dal.TransactionConflict:
            pass  # changed under us (renewed or revoked): no longer ours to expire
        except Exception as exc:
            logger.exception("expiring certificate failed", number=certificate.get("number"))
            report.failures.append({"item": f"certificate {certificate.get('number')}", "error": repr(exc)})


def _lapse_returns(yesterday: str, now: datetime, report: SweepReport) -> None:
    for app in _pages("RETURN_DEADLINE", yesterday, report):
        try:
            report.applications_lapsed += lapse.lapse(app, now)
        except Exception as exc:
            logger.exception("lapsing failed", application_id=app.get("application_id"))
            report.failures.append({"item": f"application {app.get('application_id')}", "error": repr(exc)})


def _overdue_rectifications(yesterday: str, now: datetime, report: SweepReport) -> None:
    for order in _pages("RECT_DEADLINE", yesterday, report):
        if order.get("overdue_since"):
            continue  # already marked: it stays listed as overdue until accepted
        try:
            report.rectifications_overdue += overdue.mark_overdue(order, now)
        except Exception as exc:
            logger.exception("marking overdue failed", rectification_id=order.get("rectification_id"))
            report.failures.append({"item": f"rectification {order.get('rectification_id')}", "error": repr(exc)})


def _closing(notice: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The transaction item that closes a notice and takes it out of the Due index."""
    closed = {**notice, "status": "closed", "closed_at": iso(now)}
    version = closed.pop("version")
    return store_notices.changed_notice_item(closed, version)


def close_notice(notice: dict[str, Any], now: datetime, report: SweepReport) -> None:
    """Certify each entry whose window closed clean; close the notice once no entry waits on an objection.

    A grading notice has one entry: its certificate and the notice's closing are one transaction, so no crash can
    leave a certified application under a notice that still looks open."""
    objections = dal.objections_of_notice(notice["notice_id"]) if notice["kind"] == "grading" else []
    entries = [e["application_id"] for e in notice["entries"] if e.get("application_id")]
    waiting = [a for a in entries if any(o["application_id"] == a and o["status"] == "open" for o in objections)]
    report.waiting_on_objections += len(waiting)
    ready = [a for a in entries if a not in waiting]
    if len(entries) == 1 and ready:
        if certify(ready[0], notice["notice_id"], now, closing=_closing(notice, now)):
            report.certificates_issued += 1
            report.notices_closed += 1
            return
    else:
        report.certificates_issued += sum(certify(a, notice["notice_id"], now) for a in ready)
    if waiting:
        return
    dal.write(_closing(notice, now))
    report.notices_closed += 1
