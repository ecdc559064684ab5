// The dashboard: providers by grade and category, those at risk, open notices. Built from the public API's pages.
import * as echarts from "../vendor/echarts.esm.min.mjs";
import { get, q } from "../lib/api.js";
import { fmtTime, h, notice, section, table, zhCategory, zhGrade } from "../lib/ui.js";

const LIMIT = 100; // certified providers read for the chart (the newest certified first)

export async function dashboard(main) {
  main.append(h("h1", {}, "总览"));
  const certified = await get(`/v1/applications${q({ status: "certified", limit: LIMIT })}`);
  const records = (await Promise.all(certified.items.map((a) => get(`/v1/providers/${a.credit_code}`).catch(() => null)))).filter(Boolean);
  const byCode = new Map(records.map((r) => [r.credit_code, r]));
  const providers = [...byCode.values()];
  const categories = [...new Set(certified.items.map((a) => a.category))];
  const categoryOf = new Map(certified.items.map((a) => [a.credit_code, a.category]));
  const counts = (grade) => categories.map((c) => providers.filter((p) => (p.category || categoryOf.get(p.credit_code)) === c && p.grade === grade).length);
  const el = h("div", { class: "chart", role: "img", "aria-label": "各类别服务商等级分布" });
  main.append(
    section(
      `服务商等级分布（${providers.length} 家已发证${certified.next_token ? `，仅统计最近 ${LIMIT} 家` : ""}）`,
      providers.length ? el : notice("还没有已发证的服务商。"),
      providers.length
        ? table(["类别", "一级", "二级", "三级", "四级"], categories.map((c, i) => [zhCategory(c), ...[1, 2, 3, 4].map((g) => String(counts(g)[i]))]))
        : null,
    ),
  );
  if (providers.length)
    requestAnimationFrame(() =>
      echarts.init(el, null, { renderer: "svg" }).setOption({
        animation: false,
        tooltip: {},
        legend: { data: [1, 2, 3, 4].map(zhGrade) },
        xAxis: { type: "category", data: categories.map(zhCategory) },
        yAxis: { type: "value", minInterval: 1 },
        series: [1, 2, 3, 4].map((g) => ({ name: zhGrade(g), type: "bar", stack: "g", data: counts(g) })),
      }),
    );
  const overdue = await get("/v1/rectifications?overdue=true");
  const warned = providers.filter((p) => p.status === "warned");
  main.append(
    section(
      "风险服务商",
      h("h3", {}, "已预警"),
      warned.length ? table(["信用代码", "企业", "连续不合格"], warned.map((p) => [p.credit_code, p.name, String(p.consecutive_failures)])) : notice("没有预警的服务商。"),
      h("h3", {}, "逾期未整改"),
      overdue.items.length ? table(["整改编号", "信用代码", "考核期", "期限"], overdue.items.map((r) => [r.rectification_id, r.credit_code, r.period, r.deadline])) : notice("没有逾期整改。"),
    ),
  );
  const notices = await get("/v1/notices?limit=50");
  const open = notices.items.filter((n) => n.status === "open");
  main.append(
    section(
      "公示中",
      open.length
        ? table(["公示", "企业", "公示期至"], open.map((n) => [h("a", { href: n.html_url, target: "_blank", rel: "noopener" }, n.notice_id), n.entries.map((e) => e.provider_name).join("、"), fmtTime(n.window_closes_at)]))
        : notice("没有公示中的公示。"),
    ),
  );
}
