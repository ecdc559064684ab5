"""AWS clients live in the store only: no module of `shared/grading` outside `store/` (and `dal.py`, the table's
reads and transactions) imports boto3 or botocore, at run time or for type checking."""

from __future__ import annotations

import ast
from pathlib import Path

GRADING = Path(__file__).resolve().parents[2] / "shared" / "grading"
AWS = ("boto3", "botocore", "mypy_boto3_")
STORE = {"dal.py"}  # the table module; every other AWS client is in store/


def _aws_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [f"{path.relative_to(GRADING)}:{node.lineno} {n}" for n in names if n.startswith(AWS)]
    return found


def _outside_the_store() -> list[Path]:
    paths = sorted(GRADING.rglob("*.py"))
    return [p for p in paths if p.relative_to(GRADING).parts[0] != "store" and p.name not in STORE]


def test_only_store_modules_import_an_aws_sdk() -> None:
    assert [hit for p in _outside_the_store() for hit in _aws_imports(p)] == []


def test_the_check_sees_the_store_modules() -> None:
    assert _aws_imports(GRADING / "store" / "objects.py"), "the S3 client is expected in store/objects.py"
    assert len(_outside_the_store()) > 40
