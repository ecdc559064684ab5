"""Print template.yaml as CloudFormation sees it after SAM's transform (offline, with the translator cfn-lint
bundles), so checkov can check the resources SAM generates too: the API's stage and methods, roles, permissions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml
from cfnlint.template.transforms._sam import Transform


def translate(path: str | Path, region: str = "us-east-1") -> dict[str, object]:
    template = cfn_yaml.load(str(path))
    transform = Transform(str(path), template, region)
    problems = transform.transform_template()
    if problems:
        raise ValueError("SAM transform failed: " + "; ".join(str(p) for p in problems))
    translated: dict[str, object] = json.loads(json.dumps(transform.template(), default=str))
    return translated


if __name__ == "__main__":
    print(json.dumps(translate(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"), indent=1))
