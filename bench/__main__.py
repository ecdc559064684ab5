"""`python -m bench [--quick] [--only SECTION ...]`: runs the figures of issue 8, prints one table and writes the
results as JSON (bench/results.json for a full run; --quick and --only write bench/*.tmp unless --out says)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import harness, report

SECTIONS = ("coldstart", "artifacts", "packages", "serve", "endpoints", "regrading", "sweep")
HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the <1 minute smoke: small sizes, few repetitions")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument(
        "--large",
        action="store_true",
        help="only the annual re-grading at 100,000 providers (not part of the default run); writes large-results.json",
    )
    parser.add_argument("--coldstart-runs", type=int, help="cold start rounds (9; --quick: 1)")
    args = parser.parse_args(argv)
    if args.large:
        args.only = ["regrading"]
    sections = [s for s in SECTIONS if not args.only or s in args.only]
    partial = args.quick or bool(args.only)
    out = args.out or (
        HERE
        / (
            "large-results.json"
            if args.large
            else "quick-results.tmp"
            if args.quick
            else "partial-results.tmp"
            if partial
            else "results.json"
        )
    )
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": harness.machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "large" if args.large else "quick" if args.quick else "full",
    }
    errors: dict[str, str] = {}

    def section(name: str, work: Any) -> None:
        if name not in sections:
            return
        print(f"[{time.perf_counter() - started:5.0f}s] {name}", file=sys.stderr)
        try:
            results.update(work())
        except Exception as exc:  # one broken section must not hide the others' figures
            errors[name] = f"{type(exc).__name__}: {exc}"[:500]
            print(f"  {name} failed: {errors[name]}", file=sys.stderr)

    from local.template import load_stack

    stack = load_stack(harness.ROOT / "template.yaml")
    # Processes first, on a quiet machine: the in-process backend comes after.
    from bench import artifacts, coldstart, packages

    runs = args.coldstart_runs or (1 if args.quick else 9)
    section("coldstart", lambda: {"cold_start": coldstart.run(stack, runs=runs)})
    _lift(results, "cold_start", ("init_ratio", "init_ratio_other", "init_first_request_ratio"))
    section("artifacts", lambda: artifacts.run(warm=5 if args.quick else 20))
    section("packages", lambda: packages.run(stack, download=not args.quick))
    from bench import serve

    section("serve", lambda: serve.run(quick=args.quick))  # `make serve` in its own process, over HTTP

    with harness.function_output_to(HERE / "functions-log.tmp") as real_stdout:
        if {"endpoints", "regrading", "sweep"} & set(sections):
            from bench import endpoints, regrading, sweep

            system = harness.start_system()
            try:
                section("endpoints", lambda: report.endpoint_results(*endpoints.run(system, quick=args.quick)))
                sizes = [100000] if args.large else [300] if args.quick else [1000, 10000]
                timeout = 3600 if args.large else 420
                section("regrading", lambda: {"regrading": regrading.run(system, sizes, timeout=timeout)})
                sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
                section("sweep", lambda: {"sweep": sweep.run(system, sizes)})
            finally:
                system.stop()
        results["duration_seconds"] = round(time.perf_counter() - started, 1)
        results["targets"] = report.targets(results)
        if errors:
            results["errors"] = errors
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        text = report.table(results)
        print(text, file=real_stdout)
        print(f"wrote {out}", file=sys.stderr)
        if not partial and not errors and report.update_readme(HERE / "README.md", text):
            print(f"updated the figures in {HERE / 'README.md'}", file=sys.stderr)
    return 1 if errors else 0


def _lift(results: dict[str, Any], key: str, names: tuple[str, ...]) -> None:
    """The issue's top-level keys, taken out of a section's detail."""
    for name in names:
        if key in results and name in results[key]:
            results[name] = results[key].pop(name)


if __name__ == "__main__":
    sys.exit(main())
