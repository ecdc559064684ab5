"""Runtime settings, read once from the environment into one typed object."""

import os
from datetime import timedelta, timezone
from functools import lru_cache

from pydantic import Field

from grading.modelbase import Model


class Settings(Model):
    table_name: str = Field(alias="TABLE_NAME")
    bucket_name: str = Field(alias="BUCKET_NAME")
    event_bus_name: str = Field(default="default", alias="EVENT_BUS_NAME")
    # China keeps one offset all year; dates such as "valid for 30 more days" are counted in it.
    timezone_offset_hours: int = Field(default=8, alias="LOCAL_TIMEZONE_OFFSET_HOURS")
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, alias="UPLOAD_MAX_BYTES")
    upload_url_seconds: int = Field(default=900, alias="UPLOAD_URL_SECONDS")
    # Where people open links and QR codes (grading.site): the deployment's own origin (a custom domain), else
    # the API's URL; the local runner sets it to its own origin.
    public_base_url: str = Field(default="", alias="PUBLIC_BASE_URL")
    api_base_url: str = Field(default="http://127.0.0.1:3000", alias="API_BASE_URL")
    # The procurement office's contact, printed where people are told how to object (grading.site).
    procurement_contact: str = Field(default="", alias="PROCUREMENT_CONTACT")
    regrading_queue_url: str = Field(default="", alias="REGRADING_QUEUE_URL")
    idempotency_ttl_seconds: int = Field(default=24 * 3600, alias="IDEMPOTENCY_TTL_SECONDS")
    # Notifications: the one SES identity mails are sent from, reminders per recipient and day, and how long a
    # claimed mail is held before another delivery may take it over (longer than the notifier's timeout).
    sender_address: str = Field(default="no-reply@grading.example.cn", alias="SENDER_ADDRESS")
    reminder_daily_cap: int = Field(default=3, alias="REMINDER_DAILY_CAP")
    notify_lease_seconds: int = Field(default=300, alias="NOTIFY_LEASE_SECONDS")

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.timezone_offset_hours))


_NAMES = tuple(field.alias or name for name, field in Settings.model_fields.items())


def settings() -> Settings:
    # Read on each call: the local runner hosts several functions in one process, each with its own environment,
    # and a copy cached once would leak one function's settings into another. Keyed by the values read, the
    # validation runs once per distinct environment (a hot path calls this thousands of times).
    return _settings_for(tuple(os.environ.get(name) for name in _NAMES))


@lru_cache(maxsize=64)
def _settings_for(values: tuple[str | None, ...]) -> Settings:
    return Settings.model_validate({k: v for k, v in zip(_NAMES, values, strict=True) if v is not None})
