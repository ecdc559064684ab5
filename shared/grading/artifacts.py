"""Publishing: turns committed notice and certificate records into their artifacts in S3.

Fed by the table's stream. Keys are idempotent (`notices/<id>.html|json`, `certificates/<number>.pdf`) and the
renderers deterministic, so a retried or replayed record writes the same bytes under the same key. The record is
marked with the artifact's key and SHA-256 only once (a conditional update), which is what the verification
endpoint and the `NoticePublished` / `CertificateIssued` events then read.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from grading import dal, site
from grading.categories import display_name
from grading.observability import logger
from grading.store import objects as storage


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def publish_notice(notice: dict[str, Any]) -> bool:
    from grading.render.notice import NoticeData, notice_json, render_notice_html

    data = NoticeData.model_validate(
        {
            "notice_id": notice["notice_id"],
            "kind": notice["kind"],
            "published_at": _moment(notice["published_at"]),
            "window_opens_at": _moment(notice.get("window_opens_at")),
            "window_closes_at": _moment(notice.get("window_closes_at")),
            # People read the category's name, not its key.
            "entries": [{**entry, "category": display_name(entry["category"])} for entry in notice["entries"]],
            "objection_url": site.link(f"/v1/notices/{notice['notice_id']}/objections"),
            "objection_contact": site.procurement_contact(notice.get("procurement_contact")),
            "board_url": site.link("/notices"),
        }
    )
    html_key = f"notices/{notice['notice_id']}.html"
    json_key = f"notices/{notice['notice_id']}.json"
    html_sha = storage.put_artifact(html_key, render_notice_html(data).encode("utf-8"), "text/html; charset=utf-8")
    body = json.dumps(notice_json(data), ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    storage.put_artifact(json_key, body, "application/json; charset=utf-8")
    marked = dal.set_once(
        dal.notice_key(notice["notice_id"]),
        {"artifacts": {"html_key": html_key, "json_key": json_key, "html_sha256": html_sha}},
        guard="artifacts",
    )
    logger.info("notice published", notice_id=notice["notice_id"], first_time=marked)
    return marked


def publish_certificate(certificate: dict[str, Any]) -> bool:
    from grading.render.certificate import CertificateData, render_certificate

    number = certificate["number"]
    pdf = render_certificate(
        CertificateData(
            number=number,
            provider_name=certificate["provider_name"],
            credit_code=certificate["credit_code"],
            grade=int(certificate["grade"]),
            category=display_name(certificate["category"]),
            issued_on=date.fromisoformat(certificate["issued_on"]),
            valid_until=date.fromisoformat(certificate["valid_until"]),
            scheme_version=certificate["scheme_version"],
            # What the QR code opens: the verification page for people.
            verify_url=site.link(f"/c/{number}"),
        )
    )
    key = f"certificates/{number}.pdf"
    sha = storage.put_artifact(key, pdf, "application/pdf")
    marked = dal.set_once(dal.certificate_key(number), {"pdf_key": key, "pdf_sha256": sha}, guard="pdf_sha256")
    logger.info("certificate rendered", number=number, bytes=len(pdf), first_time=marked)
    return marked


def handle_change(new: dict[str, Any] | None) -> str | None:
    """Render what a changed record needs; the name of what was rendered, or None when nothing was due."""
    if not new:
        return None
    if new.get("type") == "notice" and not new.get("artifacts"):
        publish_notice(new)
        return "notice"
    if new.get("type") == "certificate" and not new.get("pdf_sha256") and new.get("status") == "valid":
        publish_certificate(new)
        return "certificate"
    return None
