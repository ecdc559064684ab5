import { h, notice } from "../lib/ui.js";

// Sample users for the local runner: the ids the README and the tests use.
const SAMPLES = [
  ["服务商", "providers", [["provider-1", "福州云服务（服务商管理员）"], ["provider-2", "另一家服务商"], ["provider-3", "新同事（待接受邀请）"]]],
  ["审核员", "reviewers", [["reviewer-1", "采购审核员 李"]]],
  ["评审专家", "experts", [1, 2, 3, 4, 5, 6].map((i) => [`expert-${i}`, `评审专家 ${i}`])],
  ["管理员", "admins", [["admin-1", "采购管理员 王"]]],
];

export function loginPage(auth, done) {
  const main = h("div", { class: "login" }, h("h1", {}, "登录 服务商分级管理"));
  if (auth.mode() === "cognito") {
    main.append(
      h("p", {}, "使用单位统一身份认证登录。"),
      h("button", { type: "button", class: "primary", onclick: () => auth.cognitoSignIn() }, "登录"),
    );
    return main;
  }
  main.append(
    notice("本地环境专用：以下为示例用户，令牌未签名，只有本地运行器接受；部署到 AWS 后使用 Cognito 登录。", "warn"),
  );
  for (const [title, group, users] of SAMPLES) {
    main.append(
      h(
        "section",
        { class: "card" },
        h("h2", {}, title),
        h(
          "ul",
          { class: "users" },
          users.map(([sub, name]) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  dataset: { sub },
                  onclick: () => {
                    auth.localSignIn(sub, [group], name);
                    window.location.hash = "#/";
                    done();
                  },
                },
                `${name}（${sub}）`,
              ),
            ),
          ),
        ),
      ),
    );
  }
  return main;
}
