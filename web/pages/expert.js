// Expert pages: my panels, the scorecard (every criterion 0-100, a comment, an optional veto), decline.
import { ApiError, get, post, put } from "../lib/api.js";
import { field, fmtTime, form, h, notice, section, table, zhCategory } from "../lib/ui.js";

export async function panels(main, _params, s) {
  main.append(h("h1", {}, "我的评审"));
  try {
    const page = await get("/v1/me/panels");
    main.append(
      page.items.length
        ? table(
            ["申请编号", "企业", "类别", "轮次", "抽取时间", "我的评分表"],
            page.items.map((p) => [
              h("a", { href: `#/score/${p.application_id}` }, p.application_id),
              p.provider_name,
              zhCategory(p.category),
              String(p.round),
              fmtTime(p.drawn_at),
              p.scored ? "已提交（可修改）" : "待评分",
            ]),
          )
        : notice("目前没有分配给您的评审。"),
    );
  } catch (err) {
    main.append(notice(err instanceof ApiError && err.routeMissing ? "评审列表尚未开放；请按申请编号打开。" : err.message, "warn"));
  }
  main.append(
    section(
      "按申请编号打开",
      form({ "aria-label": "打开评审" }, [field("申请编号", "id"), h("button", { type: "submit" }, "打开")], async (el) => {
        window.location.hash = `#/score/${encodeURIComponent(el.querySelector("[name=id]").value.trim())}`;
      }),
    ),
  );
  return s;
}

export async function scorecard(main, [id], s) {
  const p = await get(`/v1/applications/${id}/panel`);
  const scheme = await get(`/v1/schemes/${p.scheme_version}`);
  main.append(h("h1", {}, `评分表：申请 ${id}`), h("p", {}, `方案 ${scheme.version}；第 ${p.round} 轮；专家组 ${p.panel.join("、")}`));
  if (!p.panel.includes(s.sub)) {
    main.append(notice("您不在该申请的专家组中。", "warn"));
    return;
  }
  if (p.status !== "open") {
    main.append(notice("评审已结束，评分表不能再修改。"));
    return;
  }
  const vetoItems = (scheme.veto_items || []).map((v) => [v.key, v.name]);
  main.append(
    form(
      { "aria-label": "评分表", id: "scorecard" },
      [
        h(
          "fieldset",
          {},
          h("legend", {}, "评分（每项 0-100）"),
          scheme.criteria.map((c) => field(`${c.name}（权重 ${c.weight}%）`, `scores.${c.key}`, { type: "number", min: 0, max: 100, step: "0.5", required: true })),
        ),
        field("评审意见", "comment", { tag: "textarea", rows: 3 }),
        h(
          "fieldset",
          {},
          h("legend", {}, "否决项（可选）"),
          field("否决项", "veto.item", { tag: "select", options: [["", "无"], ...vetoItems] }),
          field("否决理由", "veto.reason"),
        ),
        h("button", { type: "submit", class: "primary" }, "提交评分表"),
      ],
      async (el) => {
        const scores = {};
        for (const c of scheme.criteria) {
          const raw = el.querySelector(`[name="scores.${c.key}"]`).value;
          scores[c.key] = raw === "" ? null : Number(raw);
        }
        const item = el.querySelector('[name="veto.item"]').value;
        const body = { scores, comment: el.querySelector("[name=comment]").value.trim(), veto: item ? { item, reason: el.querySelector('[name="veto.reason"]').value.trim() } : null };
        const saved = await put(`/v1/applications/${id}/scorecards/${encodeURIComponent(s.sub)}`, body);
        el.replaceWith(notice(`评分表已提交（第 ${saved.revision} 版，${fmtTime(saved.submitted_at)}）。`));
      },
    ),
    h(
      "details",
      { class: "card" },
      h("summary", {}, "回避（申请回避后将按同一排序替补）"),
      form({ "aria-label": "回避" }, [field("回避原因", "reason"), h("button", { type: "submit", class: "danger" }, "申请回避")], async (el) => {
        await post(`/v1/applications/${id}/panel/decline`, { reason: el.querySelector("[name=reason]").value.trim() });
        window.location.hash = "#/panels";
      }),
    ),
  );
}
