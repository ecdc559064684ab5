"""Powertools Idempotency on our one table: a retried request with the same Idempotency-Key replays the answer."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from grading import dal
from grading.config import settings

# Records live under one partition per function (PK=IDEMPOTENCY#<name>, SK=hash); expired by the table's TTL.
persistence = DynamoDBPersistenceLayer(
    table_name=settings().table_name,
    key_attr="PK",
    sort_key_attr="SK",
    static_pk_value="IDEMPOTENCY#api",
    expiry_attr="ttl",
    boto3_client=dal.client(),
)

idempotency_config = IdempotencyConfig(
    event_key_jmespath="[key, sub]",  # a key is scoped to its caller: two users cannot collide
    payload_validation_jmespath="body",  # the same key with another body is refused, not replayed
    expires_after_seconds=settings().idempotency_ttl_seconds,
    raise_on_no_idempotency_key=True,
)
