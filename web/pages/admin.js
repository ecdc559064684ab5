// Admin pages: the expert registry, settings and scheme versions, periodic assessments with the missing list.
import { ApiError, get, patch, post, put, q } from "../lib/api.js";
import { CATEGORIES, field, fmtTime, form, h, notice, section, table } from "../lib/ui.js";

const val = (el, name) => el.querySelector(`[name="${name}"]`).value.trim();
const list = (text) => text.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

function expertCard(x) {
  return section(
    `专家 ${x.name}（${x.expert_id}）`,
    h("p", {}, `专业类别：${x.specialties.join("、")}；回避单位：${x.affiliations.join("、") || "无"}；${x.active ? "在库" : "已停用"}；更新于 ${fmtTime(x.updated_at)}`),
    form({ "aria-label": `修改专家 ${x.expert_id}` }, [
      field("专业类别（逗号分隔）", "specialties", { value: x.specialties.join(",") }),
      field("回避单位信用代码（逗号分隔）", "affiliations", { value: x.affiliations.join(",") }),
      field("状态", "active", { tag: "select", options: x.active ? [["true", "在库"], ["false", "停用"]] : [["false", "停用"], ["true", "在库"]] }),
      h("button", { type: "submit" }, "保存"),
    ], async (el) => {
      const saved = await patch(`/v1/experts/${encodeURIComponent(x.expert_id)}`, { specialties: list(val(el, "specialties")), affiliations: list(val(el, "affiliations")), active: val(el, "active") === "true" });
      el.closest("section").replaceWith(expertCard(saved));
    }),
  );
}

export async function experts(main) {
  const results = h("div", { id: "expert-results" });
  main.append(
    h("h1", {}, "专家库"),
    section(
      "登记专家",
      form({ "aria-label": "登记专家", id: "expert-form" }, [
        field("专家用户 ID（登录账号的 sub）", "expert_id"),
        field("姓名", "name"),
        field("专业类别", "specialties", { tag: "select", options: CATEGORIES }),
        field("回避单位信用代码（逗号分隔，可空）", "affiliations"),
        h("button", { type: "submit", class: "primary" }, "登记"),
      ], async (el) => {
        const made = await post("/v1/experts", { expert_id: val(el, "expert_id"), name: val(el, "name"), specialties: [val(el, "specialties")], affiliations: list(val(el, "affiliations")) });
        results.prepend(expertCard(made));
        el.reset();
      }),
    ),
    section(
      "查找专家",
      form({ "aria-label": "查找专家" }, [field("专家用户 ID", "id"), h("button", { type: "submit" }, "查找")], async (el) => {
        results.prepend(expertCard(await get(`/v1/experts/${encodeURIComponent(val(el, "id"))}`)));
      }),
    ),
    results,
  );
}

const SETTINGS = [["assessment", "考核"], ["notice", "公示"], ["review", "初审"], ["regrading", "复评"]];

async function settingBox(name, title, s) {
  const box = section(`${title}配置（${name}）`);
  try {
    const doc = await get(`/v1/settings/${name}`);
    box.append(h("p", {}, `版本 ${doc.version}，${doc.changed_by || ""} 修改于 ${fmtTime(doc.changed_at)}`));
    const editable = s.groups.includes("admins");
    const text = h("textarea", { name: "document", rows: 8, id: `setting-${name}`, readonly: !editable }, JSON.stringify(doc, null, 2));
    box.append(
      form({ "aria-label": `${title}配置` }, [h("label", { for: `setting-${name}` }, "配置文档（JSON）"), text, h("p", { class: "field-error", dataset: { for: "document" } }), editable ? h("button", { type: "submit" }, "保存为新版本") : null], async () => {
        let body;
        try {
          body = JSON.parse(text.value);
        } catch {
          throw new ApiError(422, { error: { message: "不是合法的 JSON", details: [{ field: "document", message: "不是合法的 JSON" }] } });
        }
        const saved = await put(`/v1/settings/${name}`, body);
        box.replaceWith(await settingBox(name, title, s));
        return saved;
      }),
    );
  } catch (err) {
    box.append(notice(err instanceof ApiError && err.routeMissing ? "此部署尚无配置接口。" : err.message, "warn"));
  }
  return box;
}

export async function settings(main, _p, s) {
  main.append(h("h1", {}, "配置与评分方案"));
  const current = await get("/v1/schemes/current");
  const n = Number(String(current.version).slice(1));
  const versions = [];
  for (let i = n; i >= 1 && versions.length < 5; i -= 1) {
    versions.push(i === n ? current : await get(`/v1/schemes/v${i}`).catch(() => null));
  }
  main.append(
    section(
      `评分方案（当前 ${current.version}）`,
      table(["评分项", "键", "权重"], current.criteria.map((c) => [c.name, c.key, `${c.weight}%`])),
      h("p", {}, `等级线：${(current.bands || []).map((b) => `${b.grade} 级 ≥ ${b.min_total}`).join("；")}；专家组 ${current.panel_size} 人（至少 ${current.panel_min}）`),
      h("h3", {}, "历史版本"),
      table(["版本", "评分项数", "等级线"], versions.filter(Boolean).map((v) => [v.version, String(v.criteria.length), (v.bands || []).map((b) => b.min_total).join(" / ")])),
    ),
  );
  if (s.groups.includes("admins")) {
    const { version: _v, ...draft } = current;
    const text = h("textarea", { id: "scheme-draft", name: "draft", rows: 10 }, JSON.stringify(draft, null, 2));
    main.append(
      section(
        "发布新方案版本",
        form({ "aria-label": "新方案" }, [h("label", { for: "scheme-draft" }, "方案草稿（JSON）"), text, h("button", { type: "submit" }, "发布")], async (el) => {
          const made = await post("/v1/schemes", JSON.parse(text.value));
          el.append(notice(`已发布 ${made.version}`));
        }),
      ),
    );
  }
  for (const [name, title] of SETTINGS) main.append(await settingBox(name, title, s));
}

export function indicatorsOf(el) {
  return {
    service_quality: Number(val(el, "indicators.service_quality")),
    satisfaction: {
      satisfied: Number(val(el, "indicators.satisfaction.satisfied")),
      basically_satisfied: Number(val(el, "indicators.satisfaction.basically_satisfied")),
      dissatisfied: Number(val(el, "indicators.satisfaction.dissatisfied")),
    },
    complaints: { upheld: Number(val(el, "indicators.complaints.upheld")), orders: Number(val(el, "indicators.complaints.orders")) },
    market_competitiveness: Number(val(el, "indicators.market_competitiveness")),
    spot_checks: [{ kind: "scheduled", passed: val(el, "spot") === "passed" }],
    major_incident: val(el, "indicators.major_incident") === "true",
  };
}

export async function assessments(main, [period], s) {
  const lastQuarter = (() => {
    const d = new Date();
    const qn = Math.floor(d.getUTCMonth() / 3);
    return qn === 0 ? `${d.getUTCFullYear() - 1}-Q4` : `${d.getUTCFullYear()}-Q${qn}`;
  })();
  period = period || lastQuarter;
  main.append(h("h1", {}, "定期考核"));
  const missing = section(`${period} 尚未考核的已发证服务商`);
  try {
    const page = await get(`/v1/assessments/missing${q({ period })}`);
    missing.append(page.items.length ? table(["信用代码", "企业", "等级"], page.items.map((p) => [p.credit_code, p.name || p.provider_name || "", String(p.grade || "")])) : notice("全部已考核。"));
  } catch (err) {
    missing.append(notice(err instanceof ApiError && err.routeMissing ? "未考核名单尚未开放（此部署没有该接口）。" : err.message, "warn"));
  }
  main.append(
    form({ "aria-label": "选择考核期", class: "inline" }, [field("考核期", "period", { value: period }), h("button", { type: "submit" }, "查看")], async (el) => {
      window.location.hash = `#/assessments/${encodeURIComponent(val(el, "period"))}`;
    }),
    missing,
  );
  if (!s.groups.includes("admins")) return;
  const result = h("div", { "aria-live": "polite" });
  main.append(
    section(
      "录入考核结果",
      form({ "aria-label": "录入考核", id: "assessment-form" }, [
        field("信用代码", "credit_code"),
        field("考核期", "period", { value: period }),
        field("服务质量（0-100）", "indicators.service_quality", { type: "number", min: 0, max: 100 }),
        field("满意", "indicators.satisfaction.satisfied", { type: "number", min: 0, value: 0 }),
        field("基本满意", "indicators.satisfaction.basically_satisfied", { type: "number", min: 0, value: 0 }),
        field("不满意", "indicators.satisfaction.dissatisfied", { type: "number", min: 0, value: 0 }),
        field("有效投诉", "indicators.complaints.upheld", { type: "number", min: 0, value: 0 }),
        field("服务订单数", "indicators.complaints.orders", { type: "number", min: 0, value: 0 }),
        field("市场竞争力（0-100）", "indicators.market_competitiveness", { type: "number", min: 0, max: 100 }),
        field("抽查", "spot", { tag: "select", options: [["passed", "例行抽查通过"], ["failed", "例行抽查未通过"]] }),
        field("重大事故", "indicators.major_incident", { tag: "select", options: [["false", "无"], ["true", "有"]] }),
        h("button", { type: "submit", class: "primary" }, "提交考核"),
      ], async (el) => {
        const made = await post("/v1/assessments", { credit_code: val(el, "credit_code"), period: val(el, "period"), indicators: indicatorsOf(el) });
        const zh = { excellent: "优秀", pass: "合格", fail: "不合格" }[made.result];
        result.replaceChildren(
          notice(`得分 ${made.score}，${zh}；连续不合格 ${made.consecutive_failures} 期；服务商状态 ${made.provider_status}${made.rectification_id ? `；已下达整改 ${made.rectification_id}` : ""}`, made.result === "fail" ? "warn" : "info"),
        );
      }),
      result,
    ),
  );
}
