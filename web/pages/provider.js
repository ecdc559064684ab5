// Provider pages: apply, my applications, rectification orders, qualifications, members and invitations.
import { ApiError, get, post, q, del } from "../lib/api.js";
import { creditCodeProblem } from "../lib/credit_code.js";
import { CATEGORIES, field, fmtTime, form, h, notice, section, table, zhCategory, zhGrade, zhStatus } from "../lib/ui.js";

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));

function value(el, name) {
  const input = el.querySelector(`[name="${name}"]`);
  return input ? input.value.trim() : "";
}

export function applicationBody(el) {
  const body = {
    provider: {
      name: value(el, "provider.name"),
      credit_code: value(el, "provider.credit_code").toUpperCase(),
      category: value(el, "provider.category"),
      region: value(el, "provider.region"),
      contact: {
        name: value(el, "provider.contact.name"),
        phone: value(el, "provider.contact.phone"),
        email: value(el, "provider.contact.email"),
      },
    },
    qualifications: [
      {
        type: value(el, "qualifications.0.type"),
        number: value(el, "qualifications.0.number"),
        issuer: value(el, "qualifications.0.issuer"),
        valid_until: value(el, "qualifications.0.valid_until"),
      },
    ],
    service_cases: [],
  };
  if (value(el, "service_cases.0.client")) {
    body.service_cases.push({
      client: value(el, "service_cases.0.client"),
      description: value(el, "service_cases.0.description"),
      year: Number(value(el, "service_cases.0.year")),
    });
  }
  return body;
}

export async function apply(main) {
  const key = newKey(); // one key per filled-in form: a retried submit cannot create two applications
  const codeField = field("统一社会信用代码", "provider.credit_code", {
    maxlength: 18,
    autocomplete: "off",
    spellcheck: "false",
    hint: "18 位，按 GB 32100-2015 校验最后一位",
  });
  const codeInput = codeField.querySelector("input");
  const codeError = codeField.querySelector(".field-error");
  codeInput.addEventListener("input", () => {
    const problem = codeInput.value ? creditCodeProblem(codeInput.value) : null;
    codeError.textContent = problem || (codeInput.value ? "✓ 校验码正确" : "");
    codeError.classList.toggle("ok", !problem && Boolean(codeInput.value));
    if (problem) codeInput.setAttribute("aria-invalid", "true");
    else codeInput.removeAttribute("aria-invalid");
  });
  const f = form(
    { id: "apply-form", "aria-label": "申请表" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "企业信息"),
        field("企业名称", "provider.name", { autocomplete: "organization" }),
        codeField,
        field("服务类别", "provider.category", { tag: "select", options: CATEGORIES }),
        field("所在地区", "provider.region", { placeholder: "如：福建省福州市" }),
      ),
      h(
        "fieldset",
        {},
        h("legend", {}, "联系人"),
        field("姓名", "provider.contact.name", { autocomplete: "name" }),
        field("手机", "provider.contact.phone", { autocomplete: "tel", inputmode: "tel" }),
        field("邮箱", "provider.contact.email", { autocomplete: "email", type: "email" }),
      ),
      h(
        "fieldset",
        {},
        h("legend", {}, "资质"),
        field("资质类型", "qualifications.0.type", { placeholder: "如：ISO 9001" }),
        field("证书编号", "qualifications.0.number"),
        field("发证机关", "qualifications.0.issuer"),
        field("有效期至", "qualifications.0.valid_until", { type: "date" }),
      ),
      h(
        "fieldset",
        {},
        h("legend", {}, "服务案例（可选）"),
        field("客户", "service_cases.0.client"),
        field("说明", "service_cases.0.description", { tag: "textarea", rows: 2 }),
        field("年份", "service_cases.0.year", { type: "number", min: 1949, max: 2100 }),
      ),
      h("button", { type: "submit", class: "primary" }, "提交申请"),
    ],
    async (el) => {
      const created = await post("/v1/applications", applicationBody(el), { "Idempotency-Key": key });
      window.location.hash = `#/app/${created.application_id}`;
    },
  );
  main.append(h("h1", {}, "提交分级申请"), h("p", {}, "提交后上传营业执照和资质证书，审核员初审通过后进入专家评审。"), f);
}

export async function mine(main) {
  main.append(h("h1", {}, "我的申请"));
  const page = await get("/v1/me/applications");
  if (!page.items.length) {
    main.append(notice("还没有申请。"), h("a", { href: "#/apply", class: "button primary" }, "提交申请"));
    return;
  }
  main.append(
    table(
      ["申请编号", "企业", "类别", "状态", "更新时间"],
      page.items.map((a) => [
        h("a", { href: `#/app/${a.application_id}` }, a.application_id),
        a.provider_name,
        zhCategory(a.category),
        h("span", { class: `badge s-${a.status}` }, zhStatus(a.status)),
        fmtTime(a.updated_at),
      ]),
    ),
  );
}

async function myCreditCodes() {
  const page = await get("/v1/me/applications");
  return [...new Map(page.items.map((a) => [a.credit_code, a.provider_name])).entries()];
}

export async function rectifications(main) {
  main.append(h("h1", {}, "整改通知"));
  const page = await get("/v1/me/rectifications");
  if (!page.items.length) {
    main.append(notice("没有整改通知。"));
    return;
  }
  for (const r of page.items) {
    const box = section(
      `整改 ${r.rectification_id}（${r.period}）`,
      h("p", {}, `状态：${RECT_ZH[r.status] || r.status}；期限：${r.deadline}`),
      r.reports.length
        ? table(["提交时间", "报告", "验收"], r.reports.map((x) => [fmtTime(x.at || x.submitted_at), x.report || "", x.decision || ""]))
        : null,
    );
    if (r.status === "open" || r.status === "rejected") {
      box.append(
        form(
          { "aria-label": `整改报告 ${r.rectification_id}` },
          [field("整改报告", "report", { tag: "textarea", rows: 3 }), h("button", { type: "submit" }, "提交整改报告")],
          async (el) => {
            await post(`/v1/rectifications/${r.rectification_id}/report`, { report: value(el, "report") });
            window.dispatchEvent(new HashChangeEvent("hashchange"));
          },
        ),
      );
    }
    main.append(box);
  }
}
export const RECT_ZH = { open: "待整改", reported: "已报告，待验收", accepted: "已验收", rejected: "验收未通过", withdrawn: "已撤销" };

export async function qualifications(main) {
  main.append(h("h1", {}, "资质与续期"));
  const codes = await myCreditCodes();
  if (!codes.length) {
    main.append(notice("还没有服务商记录。"));
    return;
  }
  for (const [cc, name] of codes) {
    let record;
    try {
      record = await get(`/v1/providers/${cc}`);
    } catch (err) {
      main.append(section(`${name}（${cc}）`, notice(err.status === 404 ? "初审通过后才有服务商档案。" : err.message)));
      continue;
    }
    const eligibility = await get(`/v1/providers/${cc}/eligibility`).catch(() => null);
    main.append(
      section(
        `${record.name}（${cc}）`,
        h("p", {}, `等级：${zhGrade(record.grade)}；状态：${record.status}；证书：${record.certificate ? `${record.certificate.number}，有效期至 ${record.certificate.valid_until}` : "无"}`),
        eligibility ? h("p", {}, `可用性：${eligibility.eligibility}`, eligibility.reasons.map((r) => h("span", { class: "badge" }, r.message))) : null,
        h("h3", {}, "提交新资质或续期"),
        form(
          { "aria-label": `资质续期 ${cc}` },
          [
            field("资质类型", "type"),
            field("证书编号", "number"),
            field("发证机关", "issuer"),
            field("有效期至", "valid_until", { type: "date" }),
            field("替换的原证书编号（续期时填写）", "replaces"),
            h("button", { type: "submit" }, "提交审核"),
          ],
          async (el) => {
            const body = { type: value(el, "type"), number: value(el, "number"), issuer: value(el, "issuer"), valid_until: value(el, "valid_until") };
            if (value(el, "replaces")) body.replaces = value(el, "replaces");
            await post(`/v1/providers/${cc}/qualifications`, body);
            el.replaceWith(notice("已提交，等待审核员审核。"));
          },
        ),
      ),
    );
  }
}

const INVITATION_CODE = /^[0-9A-Za-z]{1,64}\.[0-9a-f]{1,64}$/; // <invitation id>.<secret>, as the API checks it

export async function members(main, _params, s) {
  main.append(h("h1", {}, "成员与邀请"));
  main.append(
    section(
      "接受邀请",
      form(
        { "aria-label": "接受邀请" },
        [field("邀请码", "code"), h("button", { type: "submit" }, "接受")],
        async (el) => {
          const code = value(el, "code");
          if (!INVITATION_CODE.test(code))
            throw new ApiError(422, { error: { message: "邀请码格式不正确", details: [{ field: "code", message: "邀请码格式不正确：应为 编号.密钥" }] } });
          try {
            const joined = await post(`/v1/invitations/${encodeURIComponent(code)}/accept`, {});
            el.replaceWith(notice(`已加入 ${joined.credit_code}（${joined.role}）。`));
          } catch (err) {
            if (err instanceof ApiError && err.routeMissing) el.replaceWith(notice("此功能尚未开放。", "warn"));
            else throw err;
          }
        },
      ),
    ),
  );
  for (const [cc, name] of await myCreditCodes()) {
    const box = section(`${name}（${cc}）的成员`);
    main.append(box);
    try {
      const list = await get(`/v1/providers/${cc}/members`);
      // Only the provider's admins manage its members (the API says so too); a member sees the roster.
      const admin = list.items.some((m) => m.sub === s.sub && m.role === "admin");
      const problem = h("div", { "aria-live": "polite" });
      const remove = (m) => async () => {
        if (!window.confirm(`移除成员 ${m.sub}？`)) return;
        try {
          await del(`/v1/providers/${cc}/members/${encodeURIComponent(m.sub)}`);
          window.dispatchEvent(new HashChangeEvent("hashchange"));
        } catch (err) {
          problem.replaceChildren(notice(err.code === "LAST_ADMIN" ? "不能移除唯一的管理员。" : err.message, "error"));
        }
      };
      box.append(
        table(
          ["用户", "角色", "邮箱", "加入时间", ...(admin ? ["操作"] : [])],
          list.items.map((m) => [
            m.sub,
            m.role === "admin" ? "管理员" : "成员",
            m.email || "",
            fmtTime(m.added_at),
            ...(admin ? [h("button", { type: "button", class: "link", onclick: remove(m) }, `移除 ${m.sub}`)] : []),
          ]),
        ),
        problem,
      );
      if (!admin) {
        box.append(notice("只有本服务商的管理员可以邀请或移除成员。"));
        continue;
      }
      box.append(
        h("h3", {}, "邀请成员"),
        form(
          { "aria-label": `邀请成员 ${cc}` },
          [
            field("邮箱", "email", { type: "email" }),
            field("角色", "role", { tag: "select", options: [["member", "成员"], ["admin", "管理员"]] }),
            h("button", { type: "submit" }, "发送邀请"),
          ],
          async (el) => {
            const inv = await post(`/v1/providers/${cc}/invitations`, { email: value(el, "email"), role: value(el, "role") });
            el.append(notice(`邀请码 ${inv.code}，有效期至 ${fmtTime(inv.expires_at)}（已发送邮件）`));
          },
        ),
      );
    } catch (err) {
      box.append(notice(err instanceof ApiError && err.routeMissing ? "成员管理尚未开放（此部署没有该接口）。" : err.message, "warn"));
    }
  }
}

export { q };
