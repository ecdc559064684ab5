"""Test setup shared by every level: the domain layer on sys.path and a fake AWS environment."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# The same physical names the local runner gives the template's table and bucket, so cached settings agree.
os.environ.setdefault("TABLE_NAME", "provider-grading-local-GradingTable")
os.environ.setdefault("BUCKET_NAME", "provider-grading-local-documentsbucket")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ProviderGradingTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")
