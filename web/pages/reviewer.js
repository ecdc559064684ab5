// Reviewer pages: the queue by status, open objections, rectification sign-off; the public notices for everyone.
import { ApiError, get, post, q } from "../lib/api.js";
import { STATUS_ZH, field, fmtTime, form, h, notice, section, table, zhCategory, zhGrade, zhStatus } from "../lib/ui.js";
import { RECT_ZH } from "./provider.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

export async function queue(main, [status = "submitted", token]) {
  main.append(h("h1", {}, "审核队列"));
  main.append(
    h(
      "nav",
      { class: "tabs", "aria-label": "按状态" },
      Object.entries(STATUS_ZH).map(([k, t]) => h("a", { href: `#/queue/${k}`, "aria-current": k === status ? "page" : null }, t)),
    ),
  );
  let page;
  try {
    page = await get(`/v1/applications${q({ status, next_token: token })}`);
  } catch (err) {
    main.append(notice(err.status === 422 ? "此部署不支持该状态。" : err.message, "warn"));
    return;
  }
  if (!page.items.length) main.append(notice(`没有${zhStatus(status)}的申请。`));
  else
    main.append(
      table(
        ["申请编号", "企业", "信用代码", "类别", "更新时间"],
        page.items.map((a) => [h("a", { href: `#/app/${a.application_id}` }, a.application_id), a.provider_name, a.credit_code, zhCategory(a.category), fmtTime(a.updated_at)]),
      ),
    );
  if (page.next_token) main.append(h("a", { href: `#/queue/${status}/${encodeURIComponent(page.next_token)}` }, "下一页"));
}

export async function objections(main) {
  main.append(h("h1", {}, "待处理异议"));
  let page;
  try {
    page = await get("/v1/objections?status=open");
  } catch (err) {
    main.append(notice(err instanceof ApiError && err.routeMissing ? "异议列表尚未开放（此部署没有该接口）；可按编号处理：" : err.message, "warn"));
    page = { items: [] };
  }
  for (const o of page.items) main.append(objectionBox(o));
  main.append(
    section(
      "按编号查找异议",
      form({ "aria-label": "查找异议" }, [field("异议编号", "id"), h("button", { type: "submit" }, "查找")], async (el) => {
        const o = await get(`/v1/objections/${encodeURIComponent(el.querySelector("[name=id]").value.trim())}`);
        el.after(objectionBox(o));
      }),
    ),
  );
}

function objectionBox(o) {
  const box = section(
    `异议 ${o.objection_id}`,
    h("p", {}, `公示 ${o.notice_id}，申请 `, h("a", { href: `#/app/${o.application_id}` }, o.application_id), `（${o.credit_code}），提出于 ${fmtTime(o.filed_at)}`),
    h("blockquote", {}, o.reason),
    h("p", {}, `状态：${{ open: "待处理", upheld: "成立", dismissed: "不成立" }[o.status] || o.status}${o.note ? `；${o.note}` : ""}`),
  );
  if (o.status === "open")
    box.append(
      form(
        { "aria-label": `处理异议 ${o.objection_id}` },
        [
          field("结论", "decision", { tag: "select", options: [["dismissed", "不成立（继续公示）"], ["upheld", "成立"]] }),
          field("成立时的处理", "outcome", { tag: "select", options: [["reevaluate", "重新评审"], ["reject", "驳回申请"]] }),
          field("说明", "note", { tag: "textarea", rows: 2 }),
          h("button", { type: "submit" }, "提交"),
        ],
        async (el) => {
          const body = { decision: el.querySelector("[name=decision]").value, note: el.querySelector("[name=note]").value.trim() };
          if (body.decision === "upheld") body.outcome = el.querySelector("[name=outcome]").value;
          await post(`/v1/objections/${o.objection_id}/resolution`, body);
          reload();
        },
      ),
    );
  return box;
}

export async function rectificationReview(main) {
  main.append(h("h1", {}, "整改验收"));
  const overdue = await get("/v1/rectifications?overdue=true");
  main.append(
    section(
      "逾期未完成的整改",
      overdue.items.length
        ? table(["编号", "信用代码", "考核期", "期限", "状态"], overdue.items.map((r) => [r.rectification_id, r.credit_code, r.period, r.deadline, RECT_ZH[r.status] || r.status]))
        : notice("没有逾期整改。"),
    ),
    section(
      "验收整改报告",
      form({ "aria-label": "查找整改" }, [field("整改编号", "id"), h("button", { type: "submit" }, "查找")], async (el) => {
        const r = await get(`/v1/rectifications/${encodeURIComponent(el.querySelector("[name=id]").value.trim())}`);
        el.after(rectBox(r));
      }),
    ),
  );
}

function rectBox(r) {
  const box = section(
    `整改 ${r.rectification_id}`,
    h("p", {}, `${r.credit_code}，考核期 ${r.period}，期限 ${r.deadline}，状态：${RECT_ZH[r.status] || r.status}`),
    r.reports.map((x) => h("blockquote", {}, x.report || JSON.stringify(x))),
  );
  if (r.status === "reported")
    box.append(
      form(
        { "aria-label": `验收 ${r.rectification_id}` },
        [field("结论", "decision", { tag: "select", options: [["accepted", "验收通过"], ["rejected", "不通过，继续整改"]] }), field("说明", "note"), h("button", { type: "submit" }, "提交")],
        async (el) => {
          const note = el.querySelector("[name=note]").value.trim();
          const done = await post(`/v1/rectifications/${r.rectification_id}/verification`, { decision: el.querySelector("[name=decision]").value, ...(note ? { note } : {}) });
          box.replaceWith(rectBox(done));
        },
      ),
    );
  return box;
}

export async function notices(main, [, token]) {
  main.append(h("h1", {}, "公示"));
  const page = await get(`/v1/notices${q({ next_token: token })}`);
  if (!page.items.length) main.append(notice("暂无公示。"));
  for (const n of page.items) {
    const box = section(
      `${{ grading: "分级结果公示", elimination: "淘汰公示", regrading: "年度复评公示" }[n.kind] || n.kind} ${n.notice_id}`,
      h("p", {}, `发布于 ${fmtTime(n.published_at)}；${n.status === "open" ? `公示期至 ${fmtTime(n.window_closes_at)}` : "公示期已结束"}；`, h("a", { href: n.html_url, target: "_blank", rel: "noopener" }, "公示页面")),
      table(["企业", "信用代码", "类别", "等级", "总分"], n.entries.map((e) => [e.provider_name, e.credit_code, zhCategory(e.category || ""), zhGrade(e.grade), e.total || ""])),
    );
    if (n.status === "open" && n.entries.some((e) => e.application_id))
      box.append(
        h(
          "details",
          {},
          h("summary", {}, "提出异议"),
          form(
            { "aria-label": `对公示 ${n.notice_id} 提出异议` },
            [
              field("针对的申请", "application_id", { tag: "select", options: n.entries.filter((e) => e.application_id).map((e) => [e.application_id, e.provider_name]) }),
              field("异议理由", "reason", { tag: "textarea", rows: 3 }),
              h("button", { type: "submit" }, "提交异议"),
            ],
            async (el) => {
              const made = await post(`/v1/notices/${n.notice_id}/objections`, { application_id: el.querySelector("[name=application_id]").value, reason: el.querySelector("[name=reason]").value.trim() });
              el.replaceWith(notice(`异议已提交，编号 ${made.objection_id}`));
            },
          ),
        ),
      );
    main.append(box);
  }
}
