"""NotifierFunction against moto: each domain event's email (rendered text checked), one email per event and
recipient however often the event is delivered, the daily reminder cap, unsubscribing, and no mail lost when a
sender dies between its claim and SES."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grading import dal, sweep
from grading.store import keys
from grading.store import notifications as dal_notify
from local import outbox
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.conftest import certified_since_the_first, ended_quarters
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    PROVIDER,
    REVIEWER,
    Api,
    evaluating_application,
    in_notice_application,
    submit,
)
from tests.integration.test_providers import assess

CONTACT = "zhang@example.cn"
Q3, Q4 = ended_quarters()  # two adjacent periods that have ended (an assessment needs one)


def mails(to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in outbox.sent() if to is None or to in m["to"]]


def the_mail(prefix: str, to: str) -> dict[str, Any]:
    [mail] = [m for m in mails(to) if m["subject"].startswith(prefix)]
    return mail


def subjects(to: str | None = None) -> list[str]:
    return [m["subject"] for m in mails(to)]


@pytest.fixture
def pollers(stack: Stack, host: FunctionHost) -> Iterator[EventPollers]:
    """The template's event sources, played: stream -> events -> the notification rule -> queue -> notifier."""
    running = EventPollers(stack, host)
    running.start()
    yield running
    running.stop()


def sqs_event(detail_type: str, detail: dict[str, Any], message_id: str = "m1") -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "e-" + message_id,
        "source": "provider-grading",
        "detail-type": detail_type,
        "time": "2026-12-01T00:00:00Z",
        "detail": detail,
    }
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": "r",
                "body": json.dumps(event, ensure_ascii=False),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
        ]
    }


def test_a_returned_application_tells_its_contact_the_reasons_and_deadline(api: Api, pollers: EventPollers) -> None:
    app_id = submit(api)
    review = {"decision": "return", "reasons": ["请上传营业执照", "资质证书<已过期>"]}
    reply = api.call("POST", f"/v1/applications/{app_id}/review", review, who=REVIEWER)
    assert reply.status == 200, reply.body
    pollers.drain(timeout=30)
    deadline = dal.get_application(app_id)[0]["return_deadline"]  # type: ignore[index]
    [mail] = mails(CONTACT)
    assert mail["to"] == [CONTACT]
    assert mail["subject"] == f"【补正通知】福州云服务有限公司的申请需补充材料，请于{deadline}前补正"
    assert "  1. 请上传营业执照\n  2. 资质证书<已过期>\n" in mail["text"]
    assert f"补正截止日期：{deadline}" in mail["text"]
    assert "<li>资质证书&lt;已过期&gt;</li>" in mail["html"] and "<已过期>" not in mail["html"]
    assert "不能退订" in mail["text"] and "unsubscribe" not in mail["text"]


REVIEWER_EMAIL = "li.reviewer@example.cn"
KEYS = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]


def experts_with_email(api: Api, count: int = 6) -> list[str]:
    ids = [f"expert-it-{i:02d}" for i in range(count)]
    for expert_id in ids:
        body = {
            "expert_id": expert_id,
            "name": f"王{i}" if (i := ids.index(expert_id)) else "王教授",
            "specialties": ["it_services"],
            "email": f"{expert_id}@experts.example.cn",
        }
        assert api.call("POST", "/v1/experts", body, who=ADMIN).status == 201
    return ids


def register_reviewer(api: Api) -> None:
    body = {"name": "李审核", "email": REVIEWER_EMAIL}
    reply = api.call("PUT", "/v1/reviewers/reviewer-1", body, who=ADMIN)
    assert reply.status == 200 and reply.body["email"] == REVIEWER_EMAIL, reply.body


def test_each_step_of_a_life_tells_who_must_act(api: Api, pollers: EventPollers) -> None:
    register_reviewer(api)
    experts = experts_with_email(api)
    app_id, notice_id = in_notice_application(api)
    pollers.drain(timeout=60)
    [waiting] = mails(REVIEWER_EMAIL)
    assert waiting["subject"] == "【待审核】福州云服务有限公司的申请等待初步审核"
    assert f"申请（编号 {app_id}）已提交，等待初步审核" in waiting["text"]
    assert subjects(CONTACT) == [
        "【初审通过】福州云服务有限公司的申请已通过初步审核",
        "【分级结果】福州云服务有限公司：一级",
        "【公示】福州云服务有限公司的分级结果已公示",
    ]
    passed, decided, published = mails(CONTACT)
    assert f"您的申请（编号 {app_id}）已通过初步审核，下一步将随机抽选专家进行实地考察。" in passed["text"]
    assert "拟定等级：一级，综合得分 90.00。" in decided["text"] and f"公示编号 {notice_id}" in decided["text"]
    assert f"/v1/notices/{notice_id}/html" in published["text"]
    panel = dal.get_dossier(app_id).panel()
    assert panel is not None
    seated = [m for e in experts for m in mails(f"{e}@experts.example.cn")]
    assert len(seated) == 5 == len(panel["members"])
    assert {m["to"][0].split("@")[0] for m in seated} == set(panel["members"])
    assert all(m["subject"] == "【专家抽选通知】您已被抽选为福州云服务有限公司的实地考察专家" for m in seated)
    assert "第 1 轮实地考察的评审专家" in seated[0]["text"]

    later = datetime.now(UTC) + timedelta(days=8)
    sweep.run(later)
    certified_since_the_first(CREDIT_CODE)
    failed = assess(api, Q3, passing=False)
    assert failed.status == 201, failed.body
    pollers.drain(timeout=60)
    order = dal.get_item(dal.rectification_key(failed.body["rectification_id"]))
    assert order is not None
    opened = the_mail("【整改通知】", CONTACT)
    assert opened["subject"] == f"【整改通知】福州云服务有限公司{Q3}考核不合格，请于{order['deadline']}前完成整改"
    assert f"整改截止日期：{order['deadline']}" in opened["text"]

    # 3 days before the deadline (China time), the sweep reminds; the next day's sweep raises it again: one mail.
    deadline = datetime.fromisoformat(order["deadline"]).replace(hour=2, tzinfo=UTC)
    sweep.run(deadline - timedelta(days=3))
    sweep.run(deadline - timedelta(days=2))
    pollers.drain(timeout=60)
    reminders = [m for m in mails(CONTACT) if m["subject"].startswith("【整改提醒】")]
    assert [m["subject"] for m in reminders] == [f"【整改提醒】整改期限{order['deadline']}即将到期"]
    assert (
        f"整改通知（编号 {order['rectification_id']}，{Q3} 考核）的整改期限 {order['deadline']} 即将到期，"
        "尚未收到通过验收的整改报告。" in reminders[0]["text"]
    )
    assert "/unsubscribe/" in reminders[0]["text"] and "退订提醒" in reminders[0]["html"]
    assert reminders[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert assess(api, Q4, passing=False).status == 201
    sweep.run(deadline + timedelta(days=1))
    pollers.drain(timeout=60)
    eliminated = the_mail("【淘汰通知】", CONTACT)
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None
    assert eliminated["subject"] == "【淘汰通知】福州云服务有限公司已被取消分级资格"
    assert f"禁入期至 {provider['banned_until']}" in eliminated["text"] and "连续 2 个考核周期" in eliminated["text"]


def returned(api: Api) -> tuple[str, dict[str, Any]]:
    """A returned application and the ApplicationReviewed detail the publisher gives it."""
    from grading.events import events_for

    app_id = submit(api)
    review = {"decision": "return", "reasons": ["请上传营业执照"]}
    assert api.call("POST", f"/v1/applications/{app_id}/review", review, who=REVIEWER).status == 200
    app = {**dal.get_application(app_id)[0], "type": "application"}  # type: ignore[dict-item]
    [event] = events_for({**app, "status": "submitted"}, app)
    return app_id, event.detail


def test_a_duplicate_delivery_sends_nothing_more(api: Api, host: FunctionHost) -> None:
    _, detail = returned(api)
    first = host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m1"))
    again = host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m2"))
    assert first == again == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1
    twice_in_one_batch = sqs_event("ApplicationReviewed", detail, "m3")
    twice_in_one_batch["Records"] += sqs_event("ApplicationReviewed", detail, "m4")["Records"]
    assert host.invoke("NotifierFunction", twice_in_one_batch) == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1
    record = dal_notify.delivery(f"{detail['event_id']}:application_returned", CONTACT)
    assert record is not None and record["status"] == "sent" and record["message_id"]


def test_a_sender_that_died_after_its_claim_loses_no_mail(api: Api, host: FunctionHost) -> None:
    _, detail = returned(api)
    event_id = f"{detail['event_id']}:application_returned"
    now = datetime.now(UTC)
    # Claimed a moment ago by a sender that may still be sending: this delivery waits (and is retried).
    assert dal_notify.claim(event_id, CONTACT, "application_returned", now, 120, None) == "claimed"
    busy = host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m1"))
    assert busy == {"batchItemFailures": [{"itemIdentifier": "m1"}]} and mails(CONTACT) == []
    # The same claim, its lease run out: that sender died before SES. The redelivery sends it, once.
    dal.client().delete_item(TableName=dal.table_name(), Key=dal._ser(keys.delivery_key(event_id, CONTACT)))
    assert dal_notify.claim(event_id, CONTACT, "application_returned", now - timedelta(minutes=5), 120, None) == (
        "claimed"
    )
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m2")) == {"batchItemFailures": []}
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m3")) == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1


def test_a_mail_ses_refused_is_sent_by_the_retry(api: Api, host: FunctionHost, monkeypatch: pytest.MonkeyPatch) -> None:
    from grading.store import mail as ses

    _, detail = returned(api)
    real = ses.client().send_email
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("SES throttled")
        return real(**kwargs)

    monkeypatch.setattr(ses.client(), "send_email", flaky)
    failed = host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m1"))
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m1"}]} and mails(CONTACT) == []
    assert dal_notify.delivery(f"{detail['event_id']}:application_returned", CONTACT) is None  # claim given back
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m2")) == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1 and calls["n"] == 2


def expiring(number: str) -> dict[str, Any]:
    return {
        "credit_code": CREDIT_CODE,
        "number": number,
        "type": "ISO 9001",
        "valid_until": "2027-06-30",
        "reminded_on": "2027-05-31",
        "event_id": f"qualification:{CREDIT_CODE}:{number}:expiring:2027-06-30",
    }


def test_reminders_are_capped_per_recipient_and_day_but_notices_are_not(api: Api, host: FunctionHost) -> None:
    _, detail = returned(api)
    for i in range(4):
        host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring(f"Q-{i}"), f"m{i}"))
    reminders = [m for m in mails(CONTACT) if m["subject"].startswith("【资质到期提醒】")]
    assert [m["subject"] for m in reminders] == [
        f"【资质到期提醒】ISO 9001（Q-{i}）将于2027-06-30到期" for i in range(3)
    ]
    assert "您申报的资质证书 ISO 9001（编号 Q-0）将于 2027-06-30 到期。" in reminders[0]["text"]
    capped = dal_notify.delivery(expiring("Q-3")["event_id"] + ":qualification_expiring", CONTACT)
    assert capped is not None and capped["status"] == "capped"
    host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m9"))
    assert mails(CONTACT)[-1]["subject"].startswith("【补正通知】")


def test_unsubscribing_stops_reminders_and_never_notices(api: Api, host: FunctionHost) -> None:
    _, detail = returned(api)
    host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring("Q-1"), "m1"))
    [reminder] = mails(CONTACT)
    link = reminder["headers"]["List-Unsubscribe"].strip("<>")
    assert f"退订：{link}" in reminder["text"] and f'href="{link}"' in reminder["html"]
    path = "/unsubscribe/" + link.rsplit("/", 1)[1]
    page = api.client.get(path)
    assert page.status_code == 200 and '<form method="post"' in page.get_data(as_text=True)
    assert dal_notify.unsubscribe_token(CONTACT, datetime.now(UTC))[1] is True  # opening the page changes nothing
    assert api.client.get("/unsubscribe/" + "x" * 32).status_code == 404
    # A mail client's RFC 8058 one-click POST: a form body, no token.
    one_click = api.client.post(
        path, data="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert one_click.status_code == 200 and "已退订" in one_click.get_data(as_text=True)
    host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring("Q-2"), "m2"))
    assert len(mails(CONTACT)) == 1
    host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m3"))
    assert len(mails(CONTACT)) == 2 and mails(CONTACT)[-1]["subject"].startswith("【补正通知】")


def test_an_objections_outcome_is_told_to_the_provider(api: Api, pollers: EventPollers) -> None:
    app_id, notice_id = in_notice_application(api)
    filed = api.call(
        "POST",
        f"/v1/notices/{notice_id}/objections",
        {"application_id": app_id, "reason": "服务案例与事实不符"},
        who=("someone", "providers"),
    )
    assert filed.status == 201, filed.body
    resolution = {"decision": "dismissed", "note": "经核查，异议不成立"}
    resolved = api.call("POST", f"/v1/objections/{filed.body['objection_id']}/resolution", resolution, who=REVIEWER)
    assert resolved.status == 200, resolved.body
    pollers.drain(timeout=60)
    [told] = [m for m in mails(CONTACT) if m["subject"].startswith("【异议处理结果】")]
    assert told["subject"] == "【异议处理结果】福州云服务有限公司的公示异议已处理"
    assert "已处理：异议不成立。\n公示继续进行。\n处理意见：经核查，异议不成立\n" in told["text"]


def test_experts_hear_of_their_seat_and_of_a_missing_scorecard(api: Api, pollers: EventPollers) -> None:
    experts_with_email(api)
    app_id = evaluating_application(api)
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    scorer, *waiting = drawn.body["panel"]
    card = {"scores": {k: 85 for k in KEYS}, "comment": "良好"}
    assert (
        api.call("PUT", f"/v1/applications/{app_id}/scorecards/{scorer}", card, who=(scorer, "experts")).status == 200
    )
    sweep.run(datetime.now(UTC) + timedelta(days=2))  # not yet 3 days after the draw
    pollers.drain(timeout=60)
    assert [m for m in mails() if m["subject"].startswith("【评分提醒】")] == []
    sweep.run(datetime.now(UTC) + timedelta(days=3, hours=1))
    sweep.run(datetime.now(UTC) + timedelta(days=4, hours=1))  # the next day: raised again, sent once
    pollers.drain(timeout=60)
    reminded = [m for m in mails() if m["subject"].startswith("【评分提醒】")]
    assert sorted(m["to"][0] for m in reminded) == sorted(f"{e}@experts.example.cn" for e in waiting)
    assert all(m["subject"] == "【评分提醒】福州云服务有限公司的评分表尚未提交" for m in reminded)
    assert "/unsubscribe/" in reminded[0]["text"]
    assert f"福州云服务有限公司（申请编号 {app_id}）第 1 轮实地考察的专家组已于 " in reminded[0]["text"]
    assert "抽选，您的评分表尚未提交。\n请尽快提交评分表。" in reminded[0]["text"]
    assert len(mails(f"{scorer}@experts.example.cn")) == 1  # only the seat


def test_user_text_is_escaped_in_the_html_part(api: Api, host: FunctionHost) -> None:
    from tests.integration.conftest import application_body

    body = application_body()
    body["provider"]["name"] = '<img src=x onerror="alert(1)">有限公司'
    app_id = submit(api, body)
    review = {"decision": "reject", "reasons": ["<script>alert('x')</script>"]}
    assert api.call("POST", f"/v1/applications/{app_id}/review", review, who=REVIEWER).status == 200
    detail = {
        "application_id": app_id,
        "credit_code": CREDIT_CODE,
        "decision": "reject",
        "return_deadline": None,
        "event_id": f"{app_id}:2",
    }
    host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail))
    [mail] = mails(CONTACT)
    assert "<script>" not in mail["html"] and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in mail["html"]
    assert "<img" not in mail["html"] and "&lt;img src=x" in mail["html"]
    assert "<script>alert('x')</script>" in mail["text"]  # the text part is text
    assert mail["subject"] == '【初审未通过】<img src=x onerror="alert(1)">有限公司的申请未通过初步审核'


def test_the_reviewer_registry_is_for_admins(api: Api) -> None:
    register_reviewer(api)
    listed = api.call("GET", "/v1/reviewers", who=ADMIN)
    assert listed.status == 200 and [r["email"] for r in listed.body["items"]] == [REVIEWER_EMAIL]
    bad = api.call("PUT", "/v1/reviewers/reviewer-2", {"name": "赵", "email": "not-an-email"}, who=ADMIN)
    assert bad.status == 422 and bad.body["error"]["details"][0]["field"] == "email"
    refused = api.call("PUT", "/v1/reviewers/reviewer-2", raw="{not json", who=REVIEWER)
    assert refused.status == 403  # before its body is read


def test_a_mail_ses_accepted_is_not_sent_again_when_recording_it_failed_once(
    api: Api, host: FunctionHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: the table refused the `sent` mark once (throttled) after SES had accepted the mail. The delivery
    must not fail: its redelivery comes after the claim's lease (the queue's visibility timeout is longer) and
    would take the claim over and send a second copy."""
    from grading import clock

    _, detail = returned(api)
    real, refused = dal_notify.settle, []

    def throttled_once(*args: Any, **kwargs: Any) -> None:
        if not refused:
            refused.append(args)
            raise RuntimeError("ProvisionedThroughputExceededException")
        real(*args, **kwargs)

    monkeypatch.setattr(dal_notify, "settle", throttled_once)
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m1")) == {"batchItemFailures": []}
    assert refused and len(mails(CONTACT)) == 1
    record = dal_notify.delivery(f"{detail['event_id']}:application_returned", CONTACT)
    assert record is not None and record["status"] == "sent"
    later = clock.now() + timedelta(minutes=10)  # past the lease: a left-behind claim would be taken over now
    monkeypatch.setattr(clock, "now", lambda: later)
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m2")) == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1


def test_a_claim_refused_with_nothing_claimed_is_tried_again_not_dropped(
    api: Api, host: FunctionHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: the claim's condition failed, yet no delivery record is there (the other sender gave its claim
    back when SES refused it). Nothing was sent, so the delivery is not done: it fails, and its retry sends."""
    _, detail = returned(api)
    real, lost = dal.write, []

    def conflict_once(*items: Any) -> None:
        if not lost and any(next(iter(i.values())).get("_name") == "claim" for i in items):
            lost.append(items)
            raise dal.TransactionConflict(["claim"])
        real(*items)

    monkeypatch.setattr(dal, "write", conflict_once)
    failed = host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m1"))
    assert lost and failed == {"batchItemFailures": [{"itemIdentifier": "m1"}]} and mails(CONTACT) == []
    assert host.invoke("NotifierFunction", sqs_event("ApplicationReviewed", detail, "m2")) == {"batchItemFailures": []}
    assert len(mails(CONTACT)) == 1


def stored(kind: str) -> dict[str, Any]:
    """The one item of `kind` in the table, as the stream's new image gives it to the publisher."""
    import boto3
    from boto3.dynamodb.conditions import Attr

    table = boto3.resource("dynamodb").Table(dal.table_name())
    [item] = table.scan(FilterExpression=Attr("type").eq(kind), ConsistentRead=True)["Items"]
    return dal._plain(dict(item))


def the_event(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event the publisher puts for this change, its detail as EventBridge carries it (JSON)."""
    from grading.events import events_for

    [event] = events_for(old, new)
    return event.detail_type, json.loads(event.entry("bus")["Detail"])


def test_an_invitation_is_mailed_to_the_invited_address_only(api: Api, host: FunctionHost) -> None:
    """Issue 18: the invitation's code goes to the address it was made for, and to nobody else."""
    evaluating_application(api)
    invited = api.call(
        "POST", f"/v1/providers/{CREDIT_CODE}/invitations", {"email": "li.si@example.cn", "role": "admin"}, who=PROVIDER
    )
    assert invited.status == 201, invited.body
    invitation = stored("invitation")
    detail_type, detail = the_event(None, invitation)
    assert detail_type == "MemberInvited" and "li.si@example.cn" not in json.dumps(detail)
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m1")) == {"batchItemFailures": []}
    [mail] = mails()
    assert mail["to"] == ["li.si@example.cn"]
    assert mail["subject"] == "【成员邀请】福州云服务有限公司邀请您加入"
    text = mail["text"]
    assert f"福州云服务有限公司（统一社会信用代码 {CREDIT_CODE}）的管理员邀请您以「管理员」身份加入该服务商" in text
    assert f"邀请码：{invitation['code']}\n" in text and f"有效期至：{invitation['expires_at']}" in text
    assert "/#/members），在“接受邀请”中填写邀请码。" in text and "POST" not in text  # the console, not the API
    assert f"<strong>邀请码：{invitation['code']}</strong>" in mail["html"]
    assert "不能退订" in text  # not a reminder: no unsubscribe link
    # Delivered again: nothing more. Accepted before the mail went out: nothing at all.
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m2")) == {"batchItemFailures": []}
    assert len(mails()) == 1
    accepted = api.call("POST", f"/v1/invitations/{invitation['code']}/accept", who=("provider-9", "providers"))
    assert accepted.status == 200, accepted.body
    late = {**detail, "event_id": detail["event_id"] + ":late"}
    assert host.invoke("NotifierFunction", sqs_event(detail_type, late, "m3")) == {"batchItemFailures": []}
    assert len(mails()) == 1


def test_reviewers_are_told_of_a_filed_objection(api: Api, host: FunctionHost) -> None:
    """Issue 18: an objection is new work in the reviewers' queue."""
    register_reviewer(api)
    app_id, notice_id = in_notice_application(api)
    body = {"application_id": app_id, "reason": "服务案例<与事实不符>"}
    filed = api.call("POST", f"/v1/notices/{notice_id}/objections", body, who=("someone", "providers"))
    assert filed.status == 201, filed.body
    objection = stored("objection")
    detail_type, detail = the_event(None, objection)
    assert detail_type == "ObjectionFiled"
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m1")) == {"batchItemFailures": []}
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m2")) == {"batchItemFailures": []}
    [mail] = mails(REVIEWER_EMAIL)
    assert mail["subject"] == "【待处理异议】福州云服务有限公司的公示收到异议"
    assert (
        f"福州云服务有限公司（统一社会信用代码 {CREDIT_CODE}）的分级结果公示（公示编号 {notice_id}）收到一项异议"
        f"（编号 {filed.body['objection_id']}），请在公示期内核查处理。" in mail["text"]
    )
    assert "异议理由：服务案例<与事实不符>\n" in mail["text"] and "/#/objections\n" in mail["text"]
    assert "/v1/" not in mail["text"] and '/#/objections">' in mail["html"]  # the console's page, not a JSON route
    assert "服务案例&lt;与事实不符&gt;" in mail["html"] and "<与事实不符>" not in mail["html"]
    assert mails(CONTACT) == []  # the provider hears of the outcome (ObjectionResolved), not of the filing


def test_reviewers_are_told_of_a_submitted_rectification_report(api: Api, host: FunctionHost) -> None:
    """Issue 18: a rectification report waits for a reviewer's verification; each report is one mail."""
    from tests.integration.test_providers import certified

    register_reviewer(api)
    certified(api)
    failed = assess(api, Q3, passing=False)
    assert failed.status == 201, failed.body
    rectification_id = failed.body["rectification_id"]
    before = stored("rectification")
    path = f"/v1/rectifications/{rectification_id}/report"
    assert api.call("POST", path, {"report": "已完成整改<附件>"}, who=PROVIDER).status == 200
    order = stored("rectification")
    detail_type, detail = the_event(before, order)
    assert detail_type == "RectificationReported"
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m1")) == {"batchItemFailures": []}
    [mail] = mails(REVIEWER_EMAIL)
    assert mail["subject"] == f"【待核查整改】福州云服务有限公司{Q3}的整改报告已提交"
    assert f"已提交{Q3}考核不合格的整改报告（整改单编号 {rectification_id}），请核查。" in mail["text"]
    assert "整改报告：已完成整改<附件>\n" in mail["text"] and f"整改截止日期：{order['deadline']}" in mail["text"]
    assert "已完成整改&lt;附件&gt;" in mail["html"]
    assert "整改验收（控制台）：" in mail["text"] and "POST" not in mail["text"] and "/#/rect-review" in mail["html"]
    # Rejected, then reported again: a second report, a second mail that says so.
    rejected = api.call(
        "POST", f"/v1/rectifications/{rectification_id}/verification", {"decision": "rejected"}, who=REVIEWER
    )
    assert rejected.status == 200, rejected.body
    between = stored("rectification")
    assert api.call("POST", path, {"report": "补充整改"}, who=PROVIDER).status == 200
    detail_type, detail = the_event(between, stored("rectification"))
    assert host.invoke("NotifierFunction", sqs_event(detail_type, detail, "m2")) == {"batchItemFailures": []}
    second = mails(REVIEWER_EMAIL)[-1]
    assert len(mails(REVIEWER_EMAIL)) == 2 and "第 2 次提交" in second["text"]
    assert "整改报告：补充整改" in second["text"]


@pytest.mark.parametrize(
    ("public_base_url", "expected"),
    [
        ("", "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod/unsubscribe/"),
        ("https://grading.example.gov.cn", "https://grading.example.gov.cn/unsubscribe/"),
    ],
)
def test_links_in_a_mail_start_at_the_public_base_url_else_the_apis_own(
    api: Api, host: FunctionHost, public_base_url: str, expected: str
) -> None:
    """The template gives the notifier the PublicBaseUrl parameter (empty unless a custom domain is set) and the
    API's URL; a mail's links are absolute either way (they read the PUBLIC_BASE_URL setting alone before)."""
    returned(api)  # a provider with a contact to remind
    host.env_overrides.update(
        {
            "PUBLIC_BASE_URL": public_base_url,
            "API_BASE_URL": "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod",
        }
    )
    try:
        host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring("Q-1"), "m1"))
    finally:
        for name in ("PUBLIC_BASE_URL", "API_BASE_URL"):
            host.env_overrides.pop(name, None)
    [reminder] = mails(CONTACT)
    link = reminder["headers"]["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith(expected), link
    assert f"退订：{link}" in reminder["text"]


def test_the_template_gives_the_notifier_the_public_base_url_parameter(stack: Stack) -> None:
    env = stack.functions["NotifierFunction"].env
    assert env["PUBLIC_BASE_URL"] == ""  # the parameter's default: no custom domain
    assert env["API_BASE_URL"].startswith("https://")


def test_a_provider_not_graded_is_told_its_total_and_that_no_grade_was_given(api: Api, host: FunctionHost) -> None:
    """GradeDecided without a grade (the total is under the lowest band): 不予评级, and no notice to wait for."""
    app_id, _ = returned(api)
    detail = {"application_id": app_id, "credit_code": CREDIT_CODE, "grade": None, "total": "58.50", "event_id": "g1"}
    assert host.invoke("NotifierFunction", sqs_event("GradeDecided", detail, "m1")) == {"batchItemFailures": []}
    mail = the_mail("【分级结果】", CONTACT)
    assert mail["subject"] == "【分级结果】福州云服务有限公司：不予评级"
    assert "综合得分 58.50，未达到最低等级要求，不予评级。" in mail["text"]
    assert "公示" not in mail["text"]


def test_a_lapsed_application_tells_its_contact_that_it_may_apply_again(api: Api, pollers: EventPollers) -> None:
    """DOMAIN "补正 deadline": the provider is told of the lapse, played end to end (sweep -> stream -> rule)."""
    app_id, _ = returned(api)
    deadline = dal.get_application(app_id)[0]["return_deadline"]  # type: ignore[index]
    day_after = datetime.fromisoformat(deadline).replace(tzinfo=UTC) + timedelta(days=1, hours=1)
    assert sweep.run(day_after).applications_lapsed == 1
    pollers.drain(timeout=60)
    mail = the_mail("【申请失效】", CONTACT)
    assert mail["subject"] == "【申请失效】福州云服务有限公司的申请因逾期未补正已失效"
    assert f"您的申请（编号 {app_id}）的补正截止日期 {deadline} 已过，未收到补正材料，申请已失效。" in mail["text"]
    assert "可以重新提交申请。" in mail["text"] and "不能退订" in mail["text"]
    assert f"<strong>补正截止日期：{deadline}</strong>" in mail["html"]


def test_a_withdrawal_mails_nobody(api: Api, host: FunctionHost) -> None:
    """The owner withdrew it: nobody has anything left to do (DOMAIN "People are told")."""
    from grading.events import events_for

    app_id = submit(api)
    assert api.call("POST", f"/v1/applications/{app_id}/withdraw", {"reason": "x"}, who=PROVIDER).status == 200
    app = {**dal.get_application(app_id)[0], "type": "application"}  # type: ignore[dict-item]
    [event] = events_for({**app, "status": "submitted"}, app)
    assert event.detail_type == "ApplicationWithdrawn"
    before = len(mails())
    assert host.invoke("NotifierFunction", sqs_event(event.detail_type, event.detail)) == {"batchItemFailures": []}
    assert len(mails()) == before


def test_the_notification_rule_routes_every_event_that_has_a_mail(stack: Stack) -> None:
    from grading.notify.compose import COMPOSERS

    pattern = stack.resources["NotificationRule"]["Properties"]["EventPattern"]
    assert sorted(pattern["detail-type"]) == sorted(COMPOSERS)


def test_a_capped_reminder_goes_out_on_a_later_day_it_is_raised(
    api: Api, host: FunctionHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap holds a reminder back for the day, not for ever: the sweep raises it again the next day (same event
    id), and then it is sent, once. (It was settled as capped and never sent.)"""
    from grading import clock

    returned(api)
    today = datetime.now(UTC)
    monkeypatch.setattr(clock, "now", lambda: today)
    for i in range(4):
        host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring(f"Q-{i}"), f"m{i}"))
    key = expiring("Q-3")["event_id"] + ":qualification_expiring"
    assert (dal_notify.delivery(key, CONTACT) or {})["status"] == "capped"
    host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring("Q-3"), "m5"))  # the same day
    assert len([m for m in mails(CONTACT) if "Q-3" in m["subject"]]) == 0
    monkeypatch.setattr(clock, "now", lambda: today + timedelta(days=1))
    for message in ("m6", "m7"):  # raised the next day, and delivered twice
        host.invoke("NotifierFunction", sqs_event("QualificationExpiring", expiring("Q-3"), message))
    assert [m["subject"] for m in mails(CONTACT) if "Q-3" in m["subject"]] == [
        "【资质到期提醒】ISO 9001（Q-3）将于2027-06-30到期"
    ]
    assert (dal_notify.delivery(key, CONTACT) or {})["status"] == "sent"


def test_the_sweeps_qualification_reminder_reaches_the_contact(api: Api, pollers: EventPollers) -> None:
    """Issue 18, end to end in the functions: the daily sweep marks a qualification 30 days before it expires, the
    stream's publisher raises QualificationExpiring, the rule queues it, and the notifier mails the contact once."""
    from datetime import date

    from tests.integration.test_providers import certified

    certified(api)
    qualification = dal.get_provider(CREDIT_CODE)["qualifications"]["Q-2026-001"]  # type: ignore[index]
    valid_until = date.fromisoformat(qualification["valid_until"])
    on_the_day = datetime.combine(valid_until - timedelta(days=30), datetime.min.time(), UTC) + timedelta(hours=1)
    assert sweep.run(on_the_day).qualifications_reminded == 1
    pollers.drain(timeout=60)
    assert sweep.run(on_the_day).qualifications_reminded == 0  # the day re-run: nothing more
    pollers.drain(timeout=60)
    [reminder] = [m for m in mails(CONTACT) if m["subject"].startswith("【资质到期提醒】")]
    assert (
        reminder["subject"] == f"【资质到期提醒】{qualification['type']}（Q-2026-001）将于{valid_until.isoformat()}到期"
    )
    assert f"将于 {valid_until.isoformat()} 到期。" in reminder["text"] and "/unsubscribe/" in reminder["text"]
