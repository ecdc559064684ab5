// One application: its timeline, documents (upload with progress, preview), the grade's arithmetic, and what the
// signed-in user's groups may do with it (resubmit and withdraw; review; panel draw and decision).
import { ApiError, get, post, uploadToS3 } from "../lib/api.js";
import { DOC_KINDS, field, fmtTime, form, h, notice, section, table, zhCategory, zhGrade, zhStatus } from "../lib/ui.js";

const ACTION_ZH = {
  submit: "提交申请",
  resubmit: "补正后重新提交",
  pass: "初审通过",
  return: "退回补正",
  reject: "驳回",
  draw_panel: "抽取专家",
  decline: "专家回避",
  decide_graded: "确定等级",
  decide_not_graded: "评定为未定级",
  objection_reevaluate: "异议成立，重新评审",
  objection_reject: "异议成立，驳回",
  certify: "公示期满，发证",
  withdraw: "撤回",
  lapse: "补正逾期",
};
let uploaded = null; // what the last upload said, shown again once the page has reloaded its documents
const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const refresh = () => {
  const main = document.getElementById("main");
  main.dataset.ready = "";
  return page(main.replaceChildren() || main, [main.dataset.app]);
};

function timeline(app) {
  return h(
    "ol",
    { class: "timeline", "aria-label": "状态时间线" },
    app.history.map((e) =>
      h(
        "li",
        { class: `s-${e.to_status}` },
        h("span", { class: "when" }, fmtTime(e.at)),
        h("strong", {}, `${ACTION_ZH[e.action] || e.action} → ${zhStatus(e.to_status)}`),
        h("span", { class: "actor" }, `（${e.actor}）`),
        e.reasons && e.reasons.length ? h("span", { class: "reasons" }, `理由：${e.reasons.join("；")}`) : null,
        e.deadline ? h("span", {}, `补正期限：${e.deadline}`) : null,
        e.note ? h("span", { class: "note" }, e.note) : null,
      ),
    ),
  );
}

async function preview(app, doc, slot) {
  slot.replaceChildren(notice("正在加载预览…"));
  try {
    const link = await get(`/v1/applications/${app.application_id}/documents/${doc.document_id}`);
    const title = `${doc.filename} 预览`;
    slot.replaceChildren(
      doc.content_type === "application/pdf"
        ? h("iframe", { src: link.url, title, class: "preview" })
        : h("img", { src: link.url, alt: title, class: "preview" }),
      h("p", {}, h("a", { href: link.url, target: "_blank", rel: "noopener" }, "在新窗口打开")),
    );
  } catch (err) {
    slot.replaceChildren(notice(err instanceof ApiError && err.routeMissing ? "此部署不提供文件预览。" : err.message, "warn"));
  }
}

function documents(app, s) {
  const slot = h("div", { class: "preview-slot" });
  const box = section(
    "申请材料",
    app.documents.length
      ? table(
          ["类型", "文件", "大小", "上传时间", "预览"],
          app.documents.map((d) => [
            (DOC_KINDS.find(([k]) => k === d.kind) || [0, d.kind])[1],
            d.filename,
            `${d.declared_size} 字节`,
            fmtTime(d.created_at),
            h("button", { type: "button", class: "link", onclick: () => preview(app, d, slot) }, `预览 ${d.filename}`),
          ]),
        )
      : notice("尚未上传材料。"),
    slot,
  );
  const owner = s.groups.includes("providers") && ["submitted", "returned"].includes(app.status);
  if (owner) box.append(uploadForm(app));
  return box;
}

function uploadForm(app) {
  const bar = h("progress", { max: 100, value: uploaded ? 100 : 0, "aria-label": "上传进度", hidden: !uploaded });
  const label = h("span", { class: "progress-label", "aria-live": "polite" }, uploaded || "");
  uploaded = null;
  return form(
    { "aria-label": "上传材料", class: "upload" },
    [
      h("h3", {}, "上传材料（PDF、JPEG 或 PNG，不超过 10 MB，直接上传到存储）"),
      field("材料类型", "kind", { tag: "select", options: DOC_KINDS }),
      field("文件", "file", { type: "file", accept: "application/pdf,image/jpeg,image/png" }),
      h("button", { type: "submit" }, "上传"),
      h("div", { class: "progress" }, bar, label),
    ],
    async (el) => {
      const file = el.querySelector("[name=file]").files[0];
      if (!file) throw new ApiError(422, { error: { message: "请选择文件", details: [{ field: "file", message: "请选择文件" }] } });
      const ticket = await post(`/v1/applications/${app.application_id}/documents`, {
        kind: el.querySelector("[name=kind]").value,
        filename: file.name,
        content_type: file.type || "application/octet-stream",
        size: file.size,
      });
      bar.hidden = false;
      await uploadToS3(ticket, file, (p) => {
        bar.value = Math.round(p * 100);
        label.textContent = `${Math.round(p * 100)}%`;
      });
      uploaded = `${file.name} 上传完成（100%）`;
      await refresh();
    },
  );
}

function ownerActions(app) {
  const out = [];
  if (app.status === "returned") {
    out.push(
      section(
        "补正后重新提交",
        app.return_deadline ? h("p", {}, `补正期限：${app.return_deadline}`) : null,
        form({ "aria-label": "重新提交" }, [field("说明", "note", { tag: "textarea", rows: 2 }), h("button", { type: "submit", class: "primary" }, "重新提交")], async (el) => {
          const note = el.querySelector("[name=note]").value.trim();
          await post(`/v1/applications/${app.application_id}/resubmit`, note ? { note } : {});
          await refresh();
        }),
      ),
    );
  }
  if (["submitted", "returned", "evaluating"].includes(app.status)) {
    out.push(
      h(
        "details",
        { class: "card" },
        h("summary", {}, "撤回申请"),
        form({ "aria-label": "撤回申请" }, [field("撤回原因", "reason"), h("button", { type: "submit", class: "danger" }, "撤回")], async (el) => {
          try {
            await post(`/v1/applications/${app.application_id}/withdraw`, { reason: el.querySelector("[name=reason]").value.trim() });
          } catch (err) {
            if (err instanceof ApiError && err.routeMissing) throw new ApiError(404, { error: { message: "撤回功能尚未开放" } });
            throw err;
          }
          await refresh();
        }),
      ),
    );
  }
  return out;
}

function reviewActions(app) {
  if (app.status !== "submitted") return [];
  return [
    section(
      "初审",
      form(
        { "aria-label": "初审" },
        [
          field("结论", "decision", { tag: "select", options: [["pass", "通过"], ["return", "退回补正"], ["reject", "驳回"]] }),
          field("理由（每行一条；退回和驳回必填）", "reasons", { tag: "textarea", rows: 3 }),
          field("补正期限（可选，默认 15 天）", "deadline", { type: "date" }),
          h("button", { type: "submit", class: "primary" }, "提交初审结论"),
        ],
        async (el) => {
          const body = {
            decision: el.querySelector("[name=decision]").value,
            reasons: el.querySelector("[name=reasons]").value.split("\n").map((x) => x.trim()).filter(Boolean),
          };
          const deadline = el.querySelector("[name=deadline]").value;
          if (deadline && body.decision === "return") body.deadline = deadline;
          await post(`/v1/applications/${app.application_id}/review`, body);
          await refresh();
        },
      ),
    ),
  ];
}

function panelView(p) {
  const v = p.verification || {};
  return [
    h("p", {}, `第 ${p.round} 轮，${p.status === "open" ? "评审中" : "已结束"}；方案 ${p.scheme_version}；抽取于 ${fmtTime(p.drawn_at)}`),
    h("p", {}, "专家组：", p.panel.map((e) => h("span", { class: "badge" }, e))),
    h("p", {}, `随机种子：`, h("code", {}, p.seed)),
    h("p", {}, `候选专家（排序后）：${p.candidates.join("、")}`),
    p.declines.length ? h("p", {}, `回避：${p.declines.map((d) => `${d.expert_id}（${d.reason}）→ ${d.replacement || "无替补"}`).join("；")}`) : null,
    h(
      "p",
      { class: v.matches ? "ok" : "bad" },
      v.matches ? "✓ 复核一致：由种子和候选名单重算的抽取结果与记录相同" : `✗ 复核不一致 ${JSON.stringify(v)}`,
    ),
  ];
}

async function adminActions(app) {
  if (app.status !== "evaluating") return [];
  const box = section("专家评审");
  let p = null;
  try {
    p = await get(`/v1/applications/${app.application_id}/panel`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  if (p) box.append(...panelView(p));
  if (!p || p.status !== "open") {
    box.append(
      form({ "aria-label": "抽取专家" }, [h("button", { type: "submit", class: "primary" }, "随机抽取专家")], async () => {
        await post(`/v1/applications/${app.application_id}/panel`, {});
        await refresh();
      }),
    );
  } else {
    box.append(
      form({ "aria-label": "确定等级" }, [h("p", {}, "全部专家提交评分表后，确定等级并发布公示。"), h("button", { type: "submit", class: "primary" }, "确定等级")], async () => {
        await post(`/v1/applications/${app.application_id}/decision`, {});
        await refresh();
      }),
    );
  }
  return [box];
}

const CERT_ZH = { valid: "有效", expired: "已过期", superseded: "已被新证书取代", revoked: "已撤销" };

async function certificate(app) {
  const box = section("证书");
  const record = await get(`/v1/providers/${app.credit_code}`).catch(() => null);
  if (!record || !record.certificate) {
    box.append(notice("证书正在生成。"));
    return box;
  }
  const cert = await get(`/v1/certificates/${encodeURIComponent(record.certificate.number)}`);
  box.append(
    h("p", {}, h("strong", {}, cert.number), `（${CERT_ZH[cert.status] || cert.status}）`),
    h("p", {}, `${cert.provider_name}，${zhGrade(cert.grade)}，${zhCategory(cert.category)}；发证 ${cert.issued_on}，有效期至 ${cert.valid_until}`),
    h("p", {}, h("a", { href: `/v1/certificates/${encodeURIComponent(cert.number)}/pdf`, target: "_blank", rel: "noopener" }, "下载证书 PDF"), " ", h("a", { href: `/c/${encodeURIComponent(cert.number)}`, target: "_blank", rel: "noopener" }, "证书查验页")),
    cert.pdf_sha256 ? h("p", { class: "hint" }, `PDF SHA-256：${cert.pdf_sha256}`) : null,
  );
  return box;
}

export function arithmetic(x) {
  if (!x) return null;
  return section(
    "等级的计算过程",
    h("p", { class: "summary" }, x.summary),
    h("p", {}, `方案 ${x.scheme_version}；评分表 ${x.cards} 份；${x.trimming || ""}`),
    table(
      ["评分项", "权重", "各专家评分", "去掉", "平均分", "加权得分"],
      x.criteria.map((c) => [
        c.name,
        `${c.weight}%`,
        c.scores.map((s) => `${s.expert_id}: ${s.score}`).join("，"),
        (c.dropped || []).map((id) => `${id}: ${(c.scores.find((x) => x.expert_id === id) || {}).score}`).join("，") || "—",
        c.mean,
        c.weighted,
      ]),
    ),
    h("p", {}, `总分 ${x.total} → `, h("strong", {}, x.grade ? `${zhGrade(x.grade)}（不低于 ${x.band ? x.band.min_total : "?"} 分）` : "未定级")),
    x.missed_minimums && x.missed_minimums.length ? h("p", {}, `未达最低分：${x.missed_minimums.map((m) => `${zhGrade(m.grade)} 要求 ${m.criterion} ≥ ${m.minimum}（实得 ${m.mean}）`).join("；")}`) : null,
    x.vetoes && x.vetoes.length ? h("p", { class: "bad" }, `否决项：${x.vetoes.map((v) => `${v.item}（${v.expert_id}：${v.reason}）`).join("；")}`) : null,
    x.flags && x.flags.length ? h("p", {}, `偏离提示（阈值 ${x.deviation_threshold}）：${x.flags.map((f) => `${f.expert_id} 总分 ${f.total}，中位数 ${f.median}，偏离 ${f.deviation}`).join("；")}`) : null,
  );
}

export async function page(main, [id], s) {
  s = s || (await import("../lib/auth.js")).session();
  main.dataset.app = id;
  const app = await get(`/v1/applications/${id}`);
  main.append(
    h("h1", {}, `申请 ${app.application_id}`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "企业"), h("dd", {}, app.provider_name),
      h("dt", {}, "信用代码"), h("dd", {}, app.credit_code),
      h("dt", {}, "类别"), h("dd", {}, zhCategory(app.category)),
      h("dt", {}, "状态"), h("dd", {}, h("span", { class: `badge s-${app.status}` }, zhStatus(app.status))),
      app.grade !== null && app.grade !== undefined ? [h("dt", {}, "等级"), h("dd", {}, `${zhGrade(app.grade)}（总分 ${app.total}）`)] : null,
    ),
    section("状态时间线", timeline(app)),
    documents(app, s),
  );
  if (s.groups.includes("providers")) main.append(...ownerActions(app));
  if (s.groups.includes("reviewers")) main.append(...reviewActions(app));
  if (s.groups.includes("admins")) main.append(...(await adminActions(app)));
  if (app.status === "certified") main.append(await certificate(app));
  if (app.explanation) main.append(arithmetic(app.explanation));
  main.dataset.ready = "1";
}
export { reload };
