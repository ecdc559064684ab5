"""The results: bench/results.json in the shape issue 8 gives (plus the detail behind each figure), the targets
checked, and the one table printed at the end."""

from __future__ import annotations

from typing import Any

ROUND_TRIP_TARGET = 3
INIT_RATIO_TARGET = 1.5
FIRST_REQUEST_RATIO_TARGET = 1.6  # issue 20: import plus the first request, against a bare boto3 handler's
REGRADING_TARGET = 0.5  # run throughput / raw batch-write throughput
SHORT = {
    "BatchGetItem": "BGet",
    "GetItem": "Get",
    "Query": "Q",
    "TransactWriteItems": "TxW",
    "PutItem": "Put",
    "UpdateItem": "Upd",
    "DeleteItem": "Del",
}


def endpoint_results(results: list[Any], variants: list[Any], coverage: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "scenario_coverage": coverage,
        "round_trip_variants": {
            r.endpoint: {"round_trips": r.round_trip_count, "operations": r.operations, "latency_ms": r.latency_ms()}
            for r in variants
        },
        "round_trips": {r.endpoint: r.round_trip_count for r in results},
        "round_trip_detail": {
            r.endpoint: {
                "operations": r.operations,
                "items": r.items,
                "other_calls": r.other_calls,
                "range": [min(r.round_trips), max(r.round_trips)] if r.round_trips else None,
                "note": r.note or None,
                "error": r.error,
            }
            for r in results
        },
        "consumed_capacity": (
            "not reported: the functions do not ask for it (no ReturnConsumedCapacity), and moto's answer when asked "
            "is a placeholder whatever the item size (1.0 per PutItem/Query/DeleteItem, 0.5 per GetItem, the key "
            "count for BatchGetItem, nothing for UpdateItem/TransactWriteItems); round_trip_detail.items gives the "
            "items each request read, wrote and condition-checked instead"
        ),
        "latency_ms": {r.endpoint: r.latency_ms() for r in results},
    }


def targets(results: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    if "round_trips" in results:
        over = {k: v for k, v in results["round_trips"].items() if v is None or v > ROUND_TRIP_TARGET}
        checked["round_trips_at_most_3"] = {"met": not over, "over": over}
    if "scenario_coverage" in results:  # every Api route of template.yaml measured, and no scenario of a gone route
        coverage = results["scenario_coverage"]
        met = not coverage["without_scenario"] and not coverage["not_in_template"]
        checked["every_route_has_a_scenario"] = {"met": met, **coverage}
    if "init_ratio" in results:
        over = {k: v for k, v in results["init_ratio"].items() if v > INIT_RATIO_TARGET}
        checked["api_init_ratio_at_most_1.5"] = {"met": not over, "over": over}
    growth = results.get("serve_growth")
    if growth and growth.get("ratio") is not None:
        met = growth["items"][-1] >= 20000 and growth["ratio"] <= 1.5
        ratio, items = growth["ratio"], growth["items"]
        checked["serve_growth_p50_at_most_1.5x_empty"] = {"met": met, "ratio": ratio, "items": items}
    load = results.get("serve_load")
    if load:
        met = load["per_second"] >= 15 and load["p99_ms"] < 2000 and load["statuses"] == {"201": load["applications"]}
        checked["serve_load_15_per_second_p99_under_2s"] = {
            "met": met,
            "per_second": load["per_second"],
            "p99_ms": load["p99_ms"],
        }
    if "init_first_request_ratio" in results:
        over = {k: v for k, v in results["init_first_request_ratio"].items() if v > FIRST_REQUEST_RATIO_TARGET}
        checked["api_init_first_request_ratio_at_most_1.6"] = {"met": not over, "over": over}
    if results.get("sweep"):
        reads = {row["providers"]: row["items_read"] for row in results["sweep"]}
        flat = len(set(reads.values())) == 1 and None not in reads.values()
        checked["sweep_items_read_flat"] = {"met": flat, "items_read": reads}
    if results.get("regrading"):
        ratios = {
            row["providers"]: round(row["raw_batch_seconds"] / row["seconds"], 3) if row["seconds"] else None
            for row in results["regrading"]
        }
        # Judged where issue 7 sets it, on the largest population run (10,000 providers in a full run); the smaller
        # runs are reported beside it: their fixed costs (16 shards, the report) weigh more and their noise is larger.
        largest = max(ratios)
        met = ratios[largest] is not None and ratios[largest] >= REGRADING_TARGET
        checked["regrading_throughput_at_least_half_of_raw"] = {"met": met, "ratio": ratios, "judged_at": largest}
    return checked


def _mark(ok: bool) -> str:
    return "ok" if ok else "OVER"


def table(results: dict[str, Any]) -> str:
    lines = [f"make bench ({results['mode']}) on {results['machine']}", f"when {results['when']}"]
    if "round_trips" in results:
        lines += [
            "",
            "1+3. DynamoDB round trips per request (target <= 3) and latency in-process against moto (ms);",
            "     baseline = the same DynamoDB calls replayed straight from boto3",
            f"{'endpoint':<64} {'trips':>5}     {'p50':>7} {'p99':>7} {'base':>7}  r/w/c  calls",
        ]
        for endpoint, trips in results["round_trips"].items():
            detail = results["round_trip_detail"][endpoint]
            latency = results["latency_ms"].get(endpoint) or {}
            if detail.get("error"):
                lines.append(f"{endpoint:<64} {'-':>5} FAILED: {detail['error'][:90]}")
                continue
            ops = ",".join(SHORT.get(o, o) for o in detail["operations"])
            other = "".join(f" +{v} {k}" for k, v in detail["other_calls"].items())
            items = detail.get("items") or {}
            touched = f"{items.get('read', 0)}/{items.get('written', 0)}/{items.get('checked', 0)}"
            lines.append(
                f"{endpoint:<64} {trips:>5} {_mark(trips <= ROUND_TRIP_TARGET):<4}"
                f"{latency.get('p50', 0):>7.1f} {latency.get('p99', 0):>7.1f} {latency.get('baseline_p50', 0):>7.1f}"
                f"  {touched:<6} {ops}{other}"
            )
        for name, variant in results.get("round_trip_variants", {}).items():
            ops = ",".join(SHORT.get(o, o) for o in variant["operations"])
            p50 = (variant.get("latency_ms") or {}).get("p50", 0)
            lines.append(f"  variant: {name:<55} {variant['round_trips']!s:>5}     {p50:>7.1f}  {ops}")
        lines.append("     r/w/c = items read, written, condition-checked; consumed capacity: see results.json")
    if "init_ratio" in results:
        seconds = results["cold_start"]["init_seconds"]
        base = seconds.get("Baseline (boto3 + client)")
        lines += [
            "",
            f"2. Cold start: import of app.py in a fresh interpreter, median of {results['cold_start']['init_runs']},",
            f"   / a handler importing boto3 and creating a client ({base * 1000:.0f} ms); target <= 1.5x for API",
        ]
        for group, ratios in (("API", results["init_ratio"]), ("other", results["init_ratio_other"])):
            for fid, ratio in ratios.items():
                mark = _mark(ratio <= INIT_RATIO_TARGET) if group == "API" else ""
                lines.append(f"   {fid:<28} {group:<6} {seconds[fid] * 1000:7.0f} ms  {ratio:5.2f}x {mark}")
        for name, ratio in results["cold_start"].get("init_reference_ratio", {}).items():
            lines.append(f"   {name:<66} {seconds[name] * 1000:5.0f} ms  {ratio:5.2f}x")
        if "init_first_request_ratio" in results:
            cold = results["cold_start"]
            lines += [
                "   import + first request (what a user feels), / a bare handler importing boto3, creating a client",
                f"   and making the same first DynamoDB call; target <= {FIRST_REQUEST_RATIO_TARGET}x for API",
            ]
            for fid, ratio in results["init_first_request_ratio"].items():
                request = cold["init_first_requests"][fid]
                call = request["first_dynamodb_call"] or "no DynamoDB call"
                lines.append(
                    f"   {fid:<28} {cold['init_first_request_seconds'][fid] * 1000:5.0f} ms"
                    f" / {cold['init_first_request_baseline_seconds'][fid] * 1000:4.0f} ms  {ratio:5.2f}x"
                    f" {_mark(ratio <= FIRST_REQUEST_RATIO_TARGET):<4} {request['request']}"
                    f" -> {request['status']}, {call}"
                )
        top = results["cold_start"].get("init_slowest_top_imports") or []
        if top:
            parts = ", ".join(f"{t['package']} {t['ms']:.0f}" for t in top[:6])
            lines.append(f"   slowest ({results['cold_start']['init_slowest_api_function']}), ms by import: {parts}")
    growth, load = results.get("serve_growth"), results.get("serve_load")
    if growth:
        lines += [
            "",
            "8. `make serve` over HTTP: POST /v1/applications, one client, as the table grows (restored state);",
            "   target: p50 at the largest at most 1.5x the empty one",
            f"   {'items':>8} {'p50 ms':>8} {'p99 ms':>8}",
        ]
        for items, p50, p99 in zip(growth["items"], growth["p50_ms"], growth["p99_ms"], strict=True):
            lines.append(f"   {items:>8,} {p50:>8.1f} {p99:>8.1f}")
        lines.append(f"   largest / empty: {growth['ratio']}x {_mark((growth['ratio'] or 99) <= 1.5)}")
    if load:
        lines += [
            "",
            f"9. `make serve` under load: {load['applications']} applications from {load['clients']} clients at once;",
            "   target: >= 15 per second, p99 < 2 s, every one kept",
            f"   {load['per_second']:.1f} per second ({load['seconds']} s), p50 {load['p50_ms']:.0f} ms, "
            f"p99 {load['p99_ms']:.0f} ms, answers {load['statuses']} "
            f"{_mark(load['per_second'] >= 15 and load['p99_ms'] < 2000)}",
        ]
    if results.get("sweep"):
        lines += [
            "",
            "4. Daily sweep, 10 due (moto answers an index Query by scanning the table: that part is shown apart)",
            f"   {'providers':>9} {'items read':>10} {'seconds':>8} {'moto scans':>10} {'the rest':>8}",
        ]
        for row in results["sweep"]:
            lines.append(
                f"   {row['providers']:>9,} {row['items_read'] if row['items_read'] is not None else '-':>10} "
                f"{row['seconds']:>8.2f} {row['moto_query_seconds']:>10.2f} {row['seconds_without_moto_scans']:>8.2f}"
                + (f"  FAILED: {row['error'][:60]}" if row.get("error") else "")
            )
    if results.get("regrading"):
        lines += [
            "",
            "5. Re-grading through the queue vs BatchWriteItem of the same items"
            " (target: raw/run >= 0.5 at the largest population)",
            f"   {'providers':>9} {'seconds':>8} {'raw batch':>9} {'raw/run':>7} {'items':>7}  counts",
        ]
        for row in results["regrading"]:
            ratio = row["raw_batch_seconds"] / row["seconds"] if row["seconds"] else 0
            lines.append(
                f"   {row['providers']:>9,} {row['seconds']:>8.1f} {row['raw_batch_seconds']:>9.1f} {ratio:>7.2f} "
                f"{row['items_written']:>7,}  {row.get('counts')} {_mark(ratio >= REGRADING_TARGET)}"
                + (f"  FAILED: {row['error'][:60]}" if row.get("error") else "")
            )
    if "certificate_pdf" in results:
        pdf, page = results["certificate_pdf"], results["notice_html"]
        lines += [
            "",
            "6. Artifacts",
            f"   certificate PDF {pdf['bytes']:,} bytes; warm render {pdf['seconds'] * 1000:.0f} ms (median of "
            f"{pdf['warm_renders']}), first {pdf['first_render_seconds'] * 1000:.0f} ms after a "
            f"{pdf['import_seconds'] * 1000:.0f} ms import; blank fpdf2 page {pdf['blank_page_seconds'] * 1000:.1f} ms",
            f"   notice HTML {page['bytes']:,} bytes; 1 entry {page['seconds'] * 1000:.2f} ms (bare Jinja2 table "
            f"{page['bare_table_seconds'] * 1000:.2f} ms); 500 entries {page['entries_500_seconds'] * 1000:.1f} ms "
            f"(bare {page['entries_500_bare_table_seconds'] * 1000:.1f} ms)",
        ]
    if "package_bytes" in results:
        lines += ["", f"7. Package sizes (as sam build ships them; layer: {results['layer']['how']})"]
        with_layers = results.get("package_with_layers_bytes", {})
        lines.append(f"   {'':<28} {'own':>12}        {'zipped':>12}         {'with its layers (unzipped)':>26}")
        for name, size in results["package_bytes"].items():
            zipped = results["package_zipped_bytes"][name]
            line = f"   {name:<28} {size:>12,} bytes  {zipped:>12,} zipped"
            if name in with_layers:  # a function: also with every layer it uses
                line += f"  {with_layers[name]:>14,} bytes  {'+'.join(results['function_layers'][name])}"
            lines.append(line)
        for layer_id, layer in results.get("layers", {}).items():
            largest = layer.get("largest_dependencies") or []
            if largest:
                parts = ", ".join(f"{d['name']} {d['bytes'] / 1e6:.1f} MB" for d in largest[:6])
                lines.append(f"   {layer_id}'s largest: {parts}")
        if "largest_function_with_layers" in results["layer"]:
            lines.append(
                f"   largest with its layers: {results['layer']['largest_function_with_layers']}, "
                f"{results['layer']['function_plus_layer_share_of_250MB']:.0%} of Lambda's 250 MB"
            )
    if results.get("targets"):
        lines += ["", "Targets"]
        for name, check in results["targets"].items():
            rest = {k: v for k, v in check.items() if k != "met"}
            lines.append(f"   {'met    ' if check['met'] else 'NOT MET'} {name}: {rest}")
    lines.append(f"\n({results['duration_seconds']:.0f} s)")
    return "\n".join(lines)


FIGURES_START, FIGURES_END = "<!-- figures:start -->", "<!-- figures:end -->"


def update_readme(path: Any, text: str) -> bool:
    """Put a full run's table between the README's figure markers; False if the markers are missing."""
    readme = path.read_text(encoding="utf-8")
    if FIGURES_START not in readme or FIGURES_END not in readme:
        return False
    head, rest = readme.split(FIGURES_START, 1)
    _, tail = rest.split(FIGURES_END, 1)
    path.write_text(f"{head}{FIGURES_START}\n```text\n{text}\n```\n{FIGURES_END}{tail}", encoding="utf-8")
    return True
