"""The console off the happy path, by clicking: a reviewer returns an application for more documents, the provider
resubmits it, the reviewer rejects it; a provider withdraws another. (Objections and invitations are clicked
through in test_console.py, where an application is in its notice window and a provider is claimed.) The
applications are made through the API, as a client would: what is tested here is the console's part."""

from __future__ import annotations

import random

import requests

from grading.credit_code import check_character
from tests.console.conftest import Console
from tests.e2e.conftest import PDF, LocalStack


def fresh_code() -> str:
    body = f"91350100M{random.SystemRandom().randrange(10**8):08d}"
    return body + check_character(body)


def submitted_application(stack: LocalStack, name: str) -> str:
    """Submitted by provider-1, with the business licence and a qualification certificate uploaded."""
    provider = stack.headers("provider-1", "providers")
    body = {
        "provider": {
            "name": name,
            "credit_code": fresh_code(),
            "category": "it_services",
            "region": "福建省厦门市",
            "contact": {"name": "王五", "phone": "13900000000", "email": "wang@example.cn"},
        },
        "qualifications": [{"type": "ISO 27001", "number": "IS-1", "issuer": "认证中心", "valid_until": "2031-01-01"}],
    }
    created = requests.post(f"{stack.api}/v1/applications", json=body, headers=provider, timeout=60)
    assert created.status_code == 201, created.text
    app_id = str(created.json()["application_id"])
    for kind in ("business_license", "qualification_certificate"):
        form = requests.post(
            f"{stack.api}/v1/applications/{app_id}/documents",
            json={"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf", "size": len(PDF)},
            headers=provider,
            timeout=60,
        ).json()
        assert requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", PDF)}, timeout=60).ok
    return app_id


def status(c: Console) -> str:
    return str(c.page.locator(".facts .badge").first.inner_text())


def reviewer_decides(c: Console, app_id: str, decision: str, reasons: str, expected: str) -> None:
    page = c.page
    page.locator("[name='decision']").select_option(decision)
    page.locator("[name='reasons']").fill(reasons)
    page.get_by_role("button", name="提交初审结论").click()
    page.wait_for_selector(f".facts .badge:text-is('{expected}')")
    c.ready()
    assert page.locator("main").get_attribute("data-app") == app_id


def test_return_resubmit_reject_and_withdraw(console: Console, stack: LocalStack) -> None:
    c, page = console, console.page
    returned = submitted_application(stack, "厦门退回测试有限公司")
    withdrawn = submitted_application(stack, "厦门撤回测试有限公司")

    c.sign_in("reviewer-1")
    c.open("queue/submitted")
    page.get_by_role("link", name=returned).click()
    c.wait_hash(f"^#/app/{returned}$")
    reviewer_decides(c, returned, "return", "营业执照复印件不清晰\n请补充近三年服务案例", "退回补正")
    timeline = page.locator("ol.timeline")
    assert "退回补正 → 退回补正" in timeline.inner_text()
    assert "理由：营业执照复印件不清晰；请补充近三年服务案例" in timeline.inner_text()
    c.shot("15-reviewer-returned")

    c.sign_in("provider-1")
    c.open("mine")
    row = page.locator("tr", has=page.get_by_role("link", name=returned))
    assert row.locator(".badge").inner_text() == "退回补正"
    row.get_by_role("link", name=returned).click()
    c.wait_hash(f"^#/app/{returned}$")
    resubmit = page.locator("section:has(h2:text-is('补正后重新提交'))")
    assert "补正期限：" in resubmit.inner_text()  # the deadline (15 days unless the reviewer set one)
    c.shot("16-provider-resubmit")
    resubmit.locator("[name='note']").fill("已重新上传清晰的营业执照")
    resubmit.get_by_role("button", name="重新提交").click()
    page.wait_for_selector(".facts .badge:text-is('已提交')")
    c.ready()
    assert "补正后重新提交 → 已提交" in page.locator("ol.timeline").inner_text()

    c.sign_in("reviewer-1")
    c.open(f"app/{returned}")
    reviewer_decides(c, returned, "reject", "资质证书与申请企业名称不一致", "已驳回")
    assert "驳回 → 已驳回" in page.locator("ol.timeline").inner_text()
    assert page.locator("form[aria-label='初审']").count() == 0  # nothing more to review
    c.shot("17-reviewer-rejected")

    c.sign_in("provider-1")
    c.open(f"app/{withdrawn}")
    assert status(c) == "已提交"
    page.locator("details:has(summary:text-is('撤回申请')) summary").click()
    page.locator("form[aria-label='撤回申请'] [name='reason']").fill("公司业务调整，暂不申请")
    c.shot("18-provider-withdraw")
    page.get_by_role("button", name="撤回", exact=True).click()
    page.wait_for_selector(".facts .badge:text-is('已撤回')")
    c.ready()
    assert "撤回 → 已撤回" in page.locator("ol.timeline").inner_text()
    assert page.locator("details:has(summary:text-is('撤回申请'))").count() == 0  # nothing left to withdraw
    c.open("mine")
    assert page.locator("tr", has=page.get_by_role("link", name=withdrawn)).locator(".badge").inner_text() == "已撤回"
