"""The Powertools objects every function shares: one Logger and one Metrics per process.

No Tracer: the X-Ray SDK it wraps (in maintenance) patched every library it knows at import, which cost API
functions about a fifth of their cold start. With `Tracing: Active` (template.yaml) Lambda itself records each
invocation's segment (init, invocation, overhead) in X-Ray, and the logs carry the trace id (`xray_trace_id`)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
