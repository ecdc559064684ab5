"""The store's one module that talks to S3: presigned uploads of application documents and checks of what was stored.

Key layout: `applications/<application id>/<document id>/<safe file name>`. The bucket is private; uploads go
straight to it with a presigned POST whose policy limits size and content type. Because a local backend (moto)
does not enforce those conditions, and because a declared content type proves nothing, every stored object is
checked again before it counts: size, content type and the file's leading bytes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from grading.config import settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# What each allowed content type must start with.
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def _dns_suffix(region: str) -> str:
    """The AWS partition's domain: the China regions (cn-north-1, cn-northwest-1) are under amazonaws.com.cn."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@cache
def client() -> S3Client:
    """Signature v4 on the regional endpoint, so presigned forms and links work in every region from the first
    minute: the global endpoint answers a new bucket's requests with redirects, which a presigned POST cannot follow.
    A local backend (AWS_ENDPOINT_URL) is used as it is."""
    region = boto3.session.Session().region_name or "us-east-1"
    if os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
        return boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=f"https://s3.{region}.{_dns_suffix(region)}",
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )


def safe_filename(name: str) -> str:
    """A file name that cannot climb out of its folder or confuse a shell: base name, no controls, <= 100 chars."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = re.sub(r"\s+", "_", name).strip("._")
    return name[-100:] or "document"


def document_key(application_id: str, document_id: str, filename: str) -> str:
    return f"applications/{application_id}/{document_id}/{safe_filename(filename)}"


def presigned_upload(key: str, content_type: str) -> dict[str, Any]:
    cfg = settings()
    return client().generate_presigned_post(
        Bucket=cfg.bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, cfg.upload_max_bytes],
        ],
        ExpiresIn=cfg.upload_url_seconds,
    )


@dataclass(frozen=True)
class StoredObject:
    key: str
    present: bool
    size: int = 0
    content_type: str = ""
    version_id: str | None = None
    etag: str | None = None
    problem: str | None = None

    @property
    def acceptable(self) -> bool:
        return self.present and self.problem is None


def inspect(key: str, expected_content_type: str) -> StoredObject:
    """What is really stored under `key`, and whether it may count as the declared document."""
    cfg = settings()
    try:
        head = client().head_object(Bucket=cfg.bucket_name, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return StoredObject(key=key, present=False, problem="not uploaded")
        raise
    size = int(head["ContentLength"])
    content_type = head.get("ContentType", "")
    found = StoredObject(
        key=key,
        present=True,
        size=size,
        content_type=content_type,
        version_id=head.get("VersionId"),
        etag=head.get("ETag", "").strip('"'),
    )

    def refuse(problem: str) -> StoredObject:
        return StoredObject(**{**found.__dict__, "problem": problem})

    if size > cfg.upload_max_bytes:
        return refuse(f"is {size} bytes, more than the {cfg.upload_max_bytes} allowed")
    if size == 0:
        return refuse("is empty")
    if content_type != expected_content_type:
        return refuse(f"was stored as {content_type or 'no type'}, declared {expected_content_type}")
    head_bytes = client().get_object(Bucket=cfg.bucket_name, Key=key, Range="bytes=0-15")["Body"].read()
    if not head_bytes.startswith(MAGIC[expected_content_type]):
        return refuse(f"is not a {expected_content_type} file")
    return found


def put_artifact(key: str, body: bytes, content_type: str) -> str:
    """Store a rendered artifact under its idempotent key; returns its SHA-256 (re-rendering gives the same)."""
    import hashlib

    client().put_object(
        Bucket=settings().bucket_name,
        Key=key,
        Body=body,
        ContentType=content_type,
        CacheControl="public, max-age=300",
    )
    return hashlib.sha256(body).hexdigest()


def read_bytes(key: str) -> bytes:
    body: bytes = client().get_object(Bucket=settings().bucket_name, Key=key)["Body"].read()
    return body


def read_text(key: str) -> str:
    return read_bytes(key).decode("utf-8")


def presigned_get(key: str, seconds: int = 300) -> str:
    url: str = client().generate_presigned_url(
        "get_object", Params={"Bucket": settings().bucket_name, "Key": key}, ExpiresIn=seconds
    )
    return url
