"""Presigned uploads are signed with Signature v4 for the regional endpoint (no AWS call is made to sign)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grading.store import objects as storage


@pytest.fixture
def aws_region(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("BUCKET_NAME", "grading-docs")
    storage.client.cache_clear()
    yield "eu-west-1"
    storage.client.cache_clear()


def test_a_presigned_post_is_s3v4_on_the_regional_endpoint(aws_region: str) -> None:
    ticket = storage.presigned_upload("applications/A/D/x.pdf", "application/pdf")
    assert ticket["url"] == f"https://grading-docs.s3.{aws_region}.amazonaws.com/"
    fields = ticket["fields"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert f"/{aws_region}/s3/aws4_request" in fields["x-amz-credential"]
    assert "AWSAccessKeyId" not in fields  # no Signature v2


def test_a_presigned_link_is_s3v4_on_the_regional_endpoint(aws_region: str) -> None:
    url = storage.presigned_get("certificates/SG-2026-X.pdf")
    assert url.startswith(f"https://grading-docs.s3.{aws_region}.amazonaws.com/certificates/")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url


def test_in_a_china_region_the_regional_endpoint_is_under_amazonaws_com_cn(
    aws_region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    storage.client.cache_clear()
    ticket = storage.presigned_upload("applications/A/D/x.pdf", "application/pdf")
    assert ticket["url"] == "https://grading-docs.s3.cn-north-1.amazonaws.com.cn/"
    assert storage.presigned_get("certificates/SG-2026-X.pdf").startswith(
        "https://grading-docs.s3.cn-north-1.amazonaws.com.cn/certificates/"
    )
