"""Figure 6: the certificate PDF (size, first render in a fresh process, warm renders) against a blank fpdf2 page, and
the notice page (one entry, and a re-grading notice's 500) against the same rows through a bare Jinja2 table.
Run in its own interpreter (`python -m bench.artifacts N`) so the first render pays what a cold container pays."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.harness import ROOT, median


def _timed(make: Any, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        make()
        out.append(time.perf_counter() - started)
    return out


def measure(warm: int) -> dict[str, Any]:
    started = time.perf_counter()
    from grading.render.certificate import CertificateData, render_certificate

    import_seconds = time.perf_counter() - started
    data = CertificateData(
        number="SG-2026-91350100M000100Y43-01",
        provider_name="福州云服务有限公司",
        credit_code="91350100M000100Y43",
        grade=1,
        category="it_services",
        issued_on=date(2026, 11, 24),
        valid_until=date(2027, 11, 24),
        scheme_version="v1",
        verify_url="https://api.example.cn/prod/v1/certificates/SG-2026-91350100M000100Y43-01",
    )
    started = time.perf_counter()
    pdf = render_certificate(data)
    first = time.perf_counter() - started
    warm_runs = _timed(lambda: render_certificate(data), warm)

    from fpdf import FPDF

    def blank() -> bytes:
        page = FPDF(orientation="portrait", unit="mm", format="A4")
        page.add_page()
        return bytes(page.output())

    blank()
    blank_runs = _timed(blank, warm)

    started = time.perf_counter()
    from grading.render.notice import NoticeData, render_notice_html

    notice_import = time.perf_counter() - started
    published = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

    def notice(entries: int) -> Any:
        rows = [
            {
                "provider_name": f"福州云服务有限公司{i}",
                "credit_code": f"91350100M000{i:05d}X",
                "category": "it_services",
                "grade": 1 + i % 4,
                "total": "88.50",
            }
            for i in range(entries)
        ]
        return NoticeData(
            notice_id=f"N{entries}",
            kind="grading" if entries == 1 else "regrading",
            published_at=published,
            window_closes_at=published + timedelta(days=7),
            entries=rows,
            objection_url="https://api.example.cn/prod/v1/notices/N/objections",
        )

    one, many = notice(1), notice(500)
    started = time.perf_counter()
    html = render_notice_html(one)
    notice_first = time.perf_counter() - started
    one_runs = _timed(lambda: render_notice_html(one), warm)
    many_runs = _timed(lambda: render_notice_html(many), max(3, warm // 4))

    import jinja2

    bare = jinja2.Environment(autoescape=True).from_string(
        "<table>{% for e in entries %}<tr><td>{{ e.provider_name }}</td><td>{{ e.credit_code }}</td>"
        "<td>{{ e.grade }}</td><td>{{ e.total }}</td></tr>{% endfor %}</table>"
    )
    bare_one = _timed(lambda: bare.render(entries=one.entries), warm)
    bare_many = _timed(lambda: bare.render(entries=many.entries), max(3, warm // 4))
    return {
        "certificate_pdf": {
            "bytes": len(pdf),
            "seconds": round(median(warm_runs), 4),
            "first_render_seconds": round(first, 4),
            "import_seconds": round(import_seconds, 4),
            "blank_page_seconds": round(median(blank_runs), 6),
            "warm_renders": warm,
        },
        "notice_html": {
            "bytes": len(html.encode()),
            "seconds": round(median(one_runs), 6),
            "first_render_seconds": round(notice_first, 6),
            "import_seconds": round(notice_import, 4),
            "bare_table_seconds": round(median(bare_one), 6),
            "entries_500_seconds": round(median(many_runs), 6),
            "entries_500_bare_table_seconds": round(median(bare_many), 6),
        },
    }


def run(warm: int) -> dict[str, Any]:
    code = f"import json, bench.artifacts as a; print(json.dumps(a.measure({int(warm)})))"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"artifact renders failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
