// The dashboard: providers by grade and category, those at risk, open notices: two reads of the public API.
import * as echarts from "../vendor/echarts.esm.min.mjs";
import { get } from "../lib/api.js";
import { fmtTime, h, notice, section, table, zhCategory, zhGrade } from "../lib/ui.js";

// The eligibility answer's reason codes, as people read them
const RISK_ZH = {
  WARNED: "已预警",
  OPEN_RECTIFICATION: "整改未完成",
  RECTIFICATION_OVERDUE: "整改逾期",
  QUALIFICATION_EXPIRING: "资质即将到期",
  QUALIFICATION_EXPIRED: "资质已过期",
  CERTIFICATE_EXPIRED: "证书已过期",
  BANNED: "禁入期",
  NO_CERTIFICATE: "无有效证书",
};
const GRADES = ["1", "2", "3", "4"];

export async function dashboard(main) {
  main.append(h("h1", {}, "总览"));
  // One aggregated read (GET /v1/summaries/providers): counts by category and grade, and the providers at risk.
  const [summary, notices] = await Promise.all([get("/v1/summaries/providers"), get("/v1/notices?limit=50")]);
  const rows = summary.by_category;
  const el = h("div", { class: "chart", role: "img", "aria-label": "各类别服务商等级分布" });
  main.append(
    section(
      `服务商等级分布（${summary.certified} 家已发证）`,
      summary.certified ? el : notice("还没有已发证的服务商。"),
      summary.certified
        ? table(
            ["类别", "一级", "二级", "三级", "四级", "合计"],
            rows.map((r) => [zhCategory(r.category), ...GRADES.map((g) => String(r.grades[g] || 0)), String(r.total)]),
          )
        : null,
    ),
  );
  if (summary.certified)
    requestAnimationFrame(() =>
      echarts.init(el, null, { renderer: "svg" }).setOption({
        animation: false,
        tooltip: {},
        legend: { data: GRADES.map(zhGrade) },
        xAxis: { type: "category", data: rows.map((r) => zhCategory(r.category)) },
        yAxis: { type: "value", minInterval: 1 },
        series: GRADES.map((g) => ({ name: zhGrade(g), type: "bar", stack: "g", data: rows.map((r) => r.grades[g] || 0) })),
      }),
    );
  const risky = summary.at_risk;
  main.append(
    section(
      `风险服务商（${risky.length} 家）`,
      risky.length
        ? table(
            ["信用代码", "企业", "类别", "等级", "连续不合格", "风险"],
            risky.map((p) => [
              p.credit_code,
              p.name,
              zhCategory(p.category),
              zhGrade(p.grade),
              String(p.consecutive_failures),
              p.reasons.map((r) => RISK_ZH[r.code] || r.code).join("、"),
            ]),
          )
        : notice("没有预警、整改未完成或资质将到期的服务商。"),
    ),
  );
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
