"""Reads the web console needs and the first API lacked: a document's download link (preview), an expert's panels."""

from datetime import datetime, timedelta

from grading import dal
from grading.applications import load_visible
from grading.clock import iso
from grading.errors import NotFound
from grading.identity import Caller, Role
from grading.modelbase import Model
from grading.store import objects as storage

LINK_SECONDS = 300
PANELS_PAGE_MAX = 50  # a panel and a scorecard key per application: one BatchGet of at most 100 keys


class DocumentLink(Model):
    document_id: str
    filename: str
    content_type: str
    url: str
    expires_at: str


class MyPanel(Model):
    application_id: str
    provider_name: str
    credit_code: str
    category: str
    round: int
    scheme_version: str
    drawn_at: str
    scored: bool


class MyPanelPage(Model):
    items: list[MyPanel]
    next_token: str | None = None


def document_link(caller: Caller, application_id: str, document_id: str, now: datetime) -> DocumentLink:
    """Whoever may read the application (staff, its owner, an expert on its panel) may read its documents."""
    dossier = load_visible(caller, application_id)
    doc = next((d for d in dossier.documents if d["document_id"] == document_id), None)
    if doc is None:
        raise NotFound(f"application {application_id} has no document {document_id}")
    return DocumentLink(
        document_id=document_id,
        filename=doc["filename"],
        content_type=doc["content_type"],
        url=storage.presigned_get(doc["key"], LINK_SECONDS),
        expires_at=iso(now + timedelta(seconds=LINK_SECONDS)),
    )


def my_panels(caller: Caller, limit: int, token: str | None) -> MyPanelPage:
    """The open panels the calling expert sits on: a page of applications in evaluation (pattern 2), then their
    current panels and the caller's cards in one BatchGet (patterns 1). A page may hold fewer items than `limit`
    (applications whose panel the caller is not on are left out); `next_token` goes on."""
    caller.require(Role.EXPERT)
    apps, next_token = dal.applications_by_status("evaluating", min(limit, PANELS_PAGE_MAX), token)
    drawn = [a for a in apps if a.get("panel_round")]
    keys = [dal.panel_key(a["application_id"], int(a["panel_round"])) for a in drawn]
    keys += [dal.card_key(a["application_id"], int(a["panel_round"]), caller.sub) for a in drawn]
    found = dal.get_many(keys) if keys else {}
    items = []
    for app in drawn:
        key = dal.panel_key(app["application_id"], int(app["panel_round"]))
        record = found.get((key["PK"], key["SK"]))
        if not record or record.get("status") != "open" or caller.sub not in record.get("members", []):
            continue
        card = dal.card_key(app["application_id"], int(app["panel_round"]), caller.sub)
        items.append(
            MyPanel(
                application_id=app["application_id"],
                provider_name=app["provider"]["name"],
                credit_code=app["credit_code"],
                category=app["provider"]["category"],
                round=int(app["panel_round"]),
                scheme_version=str(record.get("scheme_version", "")),
                drawn_at=str(record.get("drawn_at", "")),
                scored=(card["PK"], card["SK"]) in found,
            )
        )
    return MyPanelPage(items=items, next_token=next_token)
