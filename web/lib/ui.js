// Small DOM helpers: no framework. Every text goes through textContent, never innerHTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let fieldSeq = 0;
/** A labelled input; `name` is the API's dotted field path, so a 422 detail lands under it. */
export function field(label, name, attrs = {}) {
  const id = `f${(fieldSeq += 1)}`;
  const tag = attrs.tag || "input";
  const { tag: _t, options, hint, ...rest } = attrs;
  let control;
  if (tag === "select") {
    control = h("select", { id, name, ...rest }, (options || []).map(([v, t]) => h("option", { value: v }, t)));
  } else {
    control = h(tag, { id, name, ...rest });
  }
  const error = h("p", { class: "field-error", id: `${id}-err`, "aria-live": "polite", dataset: { for: name } });
  control.setAttribute("aria-describedby", `${id}-err`);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("p", { class: "hint" }, hint) : null, error);
}

/** Put each `{field, message}` of a 422 under its input; what matches no input goes to the form's summary. */
export function showErrors(form, err) {
  for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const summary = form.querySelector(".form-summary");
  const rest = [];
  for (const d of (err && err.details) || []) {
    const name = String(d.field || "").replace(/^body\./, "");
    const slot = form.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = d.message;
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    } else rest.push(`${d.field}: ${d.message}`);
  }
  if (summary) {
    summary.textContent = err ? [`${err.message || ""}`, ...rest].filter(Boolean).join("；") : "";
    summary.hidden = !err;
  }
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function table(headers, rows) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export const STATUS_ZH = {
  submitted: "已提交",
  returned: "退回补正",
  rejected: "已驳回",
  evaluating: "专家评审中",
  in_notice: "公示中",
  certified: "已发证",
  not_graded: "未定级",
  lapsed: "逾期失效",
  withdrawn: "已撤回",
};
export const GRADE_ZH = { 1: "一级", 2: "二级", 3: "三级", 4: "四级" };
export const CATEGORIES = [
  ["it_services", "信息技术服务"],
  ["security_services", "安保服务"],
  ["property_management", "物业管理"],
  ["consulting", "咨询服务"],
  ["logistics", "物流服务"],
];
export const DOC_KINDS = [
  ["business_license", "营业执照"],
  ["qualification_certificate", "资质证书"],
  ["company_profile", "企业简介"],
  ["service_case", "服务案例"],
];
export const zhStatus = (s) => STATUS_ZH[s] || s;
export const zhGrade = (g) => (g ? GRADE_ZH[g] || String(g) : "未定级");
export const zhCategory = (c) => (CATEGORIES.find(([k]) => k === c) || [c, c])[1];
export const fmtTime = (iso) => (iso ? String(iso).replace("T", " ").replace(/\.\d+/, "").replace("+00:00", "Z") : "");

/** A form whose submit runs `action(values)`, shows 422s at their fields and disables itself meanwhile. */
export function form(attrs, children, action) {
  const summary = h("p", { class: "form-summary notice error", role: "alert", hidden: true });
  const el = h("form", { novalidate: true, ...attrs }, summary, children);
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = el.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      showErrors(el, null);
      await action(el);
    } catch (err) {
      showErrors(el, err);
      if (!err || !err.status) console.error(err);
    } finally {
      if (button) button.disabled = false;
    }
  });
  return el;
}

// Pages build their parts with `cond ? part : null`; let append() and prepend() skip the nulls, as h() does.
for (const method of ["append", "prepend"]) {
  const original = Element.prototype[method];
  Element.prototype[method] = function appendParts(...parts) {
    return original.apply(this, parts.flat(Infinity).filter((p) => p !== null && p !== undefined && p !== false));
  };
}
