"""The pages people open, through the local API Gateway against moto: `GET /c/{number}` (what a certificate's QR
code opens) and `GET /notices` (the board). HTML in Chinese, absolute links under the public base URL, one read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from grading import artifacts, dal
from local.host import FunctionHost
from local.template import Stack
from tests.integration.conftest import CREDIT_CODE, Api, in_notice_application
from tests.integration.test_notices import LATER, run_sweep

BASE = "https://grading.example.gov.cn"


@pytest.fixture(autouse=True)
def _public_base_url(host: FunctionHost, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(host.env_overrides, "PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)  # for artifacts rendered in-process below


@pytest.fixture
def reads() -> Iterator[list[str]]:
    """The DynamoDB operations made while the test runs, by name."""
    seen: list[str] = []

    def count(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = dal.client().meta.events
    events.register("before-call.dynamodb", count)
    yield seen
    events.unregister("before-call.dynamodb", count)


def get(api: Api, path: str, **headers: str) -> Any:
    return api.client.open(path, method="GET", headers=headers)


def certified(api: Api, host: FunctionHost, stack: Stack) -> str:
    in_notice_application(api)
    assert run_sweep(host, stack, LATER)["certificates_issued"] == 1
    number = str(dal.get_provider(CREDIT_CODE)["certificate"]["number"])  # type: ignore[index]
    assert artifacts.publish_certificate(dal.get_item(dal.certificate_key(number)))  # type: ignore[arg-type]
    return number


def set_certificate(number: str, **values: str) -> None:
    names = {f"#{k}": k for k in values}
    dal.client().update_item(
        TableName=dal.table_name(),
        Key={"PK": {"S": f"CERT#{number}"}, "SK": {"S": "CERTIFICATE"}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": {"S": v} for k, v in values.items()},
    )


def test_certificate_page_says_everything_at_a_glance_in_one_read(
    api: Api, host: FunctionHost, stack: Stack, reads: list[str]
) -> None:
    number = certified(api, host, stack)
    record = dal.get_item(dal.certificate_key(number))
    assert record is not None
    reads.clear()
    page = get(api, f"/c/{number}")
    assert reads == ["GetItem"]
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert len(page.get_data()) < 30 * 1024
    for fact in (record["provider_name"], CREDIT_CODE, "一级"):
        assert fact in html
    assert "信息技术服务" in html and "it_services" not in html  # the category's display name, not its key
    assert '<section class="status s-valid" aria-label="证书状态">\n    <strong>有效</strong>' in html
    issued = date.fromisoformat(record["issued_on"])
    assert f"{issued.year}年{issued.month}月{issued.day}日" in html
    assert f'href="{BASE}/v1/certificates/{number}/pdf"' in html
    assert f"<code>{record['pdf_sha256']}</code>" in html
    assert '<strong class="code">grading.example.gov.cn</strong>' in html and f"{BASE}/c/{number}" in html
    assert "<script" not in html
    assert page.headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_a_reload_with_the_etag_is_a_bodiless_304_until_the_status_changes(
    api: Api, host: FunctionHost, stack: Stack
) -> None:
    number = certified(api, host, stack)
    first = get(api, f"/c/{number}")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = get(api, f"/c/{number}", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert get(api, f"/c/{number}", **{"If-None-Match": '"something-else"'}).status_code == 200
    set_certificate(number, status="revoked")
    changed = get(api, f"/c/{number}", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "<strong>已撤销</strong>" in changed.get_data(as_text=True)


@pytest.mark.parametrize(("status", "word"), [("revoked", "已撤销"), ("superseded", "已被替代"), ("valid", "有效")])
def test_each_status_in_words_and_colour(api: Api, host: FunctionHost, stack: Stack, status: str, word: str) -> None:
    number = certified(api, host, stack)
    set_certificate(number, status=status)
    html = get(api, f"/c/{number}").get_data(as_text=True)
    assert f'<section class="status s-{status}" aria-label="证书状态">\n    <strong>{word}</strong>' in html


def test_a_valid_certificate_past_its_date_reads_as_expired(api: Api, host: FunctionHost, stack: Stack) -> None:
    number = certified(api, host, stack)
    set_certificate(number, valid_until=(datetime.now(UTC).date() - timedelta(days=2)).isoformat())
    html = get(api, f"/c/{number}").get_data(as_text=True)
    assert '<section class="status s-expired" aria-label="证书状态">\n    <strong>已过期</strong>' in html


def test_unknown_number_is_a_chinese_404_page(api: Api, reads: list[str]) -> None:
    page = get(api, "/c/SG-2026-91350100M000100Y43-09")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "未找到该证书" in html and "SG-2026-91350100M000100Y43-09" in html and "查无此证" in html
    assert reads == ["GetItem"]
    reads.clear()
    hostile = get(api, "/c/%3Cscript%3Ealert(1)%3C%3E")
    assert hostile.status_code == 404 and reads == []  # not a number: no read
    assert "<script>" not in hostile.get_data(as_text=True)
    assert "&lt;script&gt;" in hostile.get_data(as_text=True)


def test_the_qr_code_and_the_notice_links_use_the_public_base_url(
    api: Api, host: FunctionHost, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    from grading.render import certificate as render

    real = render.render_certificate
    monkeypatch.setattr(render, "render_certificate", lambda data: seen.setdefault("data", data) and real(data))
    number = certified(api, host, stack)
    assert seen["data"].verify_url == f"{BASE}/c/{number}"
    assert seen["data"].category == "信息技术服务"


def test_board_lists_open_notices_first_each_linking_to_its_page(
    api: Api, host: FunctionHost, stack: Stack, reads: list[str]
) -> None:
    _, closed_id = in_notice_application(api)
    assert run_sweep(host, stack, LATER)["notices_closed"] == 1
    _, open_id = in_notice_application(api, credit_code=_other_code())
    for notice_id in (closed_id, open_id):
        assert artifacts.publish_notice(dal.get_item(dal.notice_key(notice_id)))  # type: ignore[arg-type]
    reads.clear()
    page = get(api, "/notices")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reads == ["Query", "Query"]
    open_at, closed_at = html.index(f"编号 {open_id}"), html.index(f"编号 {closed_id}")
    assert html.index("<h2>公示中（1）</h2>") < open_at < html.index("<h2>已结束（1）</h2>") < closed_at
    for notice_id in (open_id, closed_id):
        assert f'href="{BASE}/v1/notices/{notice_id}/html"' in html
    notice_page = get(api, f"/v1/notices/{open_id}/html").get_data(as_text=True)
    assert f'<a href="{BASE}/notices">返回公示栏</a>' in notice_page
    assert "POST" not in notice_page and "控制台的异议表单" in notice_page


def _other_code() -> str:
    from grading.credit_code import check_character

    code = "91350100M000200Y8"
    return code + check_character(code)


def test_board_when_there_is_nothing_yet(api: Api) -> None:
    html = get(api, "/notices").get_data(as_text=True)
    assert "目前没有公示期内的公示。" in html and "没有已结束的公示。" in html
