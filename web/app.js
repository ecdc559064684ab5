// The console: hash routes, a menu by the user's groups, one page module per role.
import * as auth from "./lib/auth.js";
import { setBase } from "./lib/api.js";
import { h, notice } from "./lib/ui.js";
import { loginPage } from "./pages/login.js";
import * as provider from "./pages/provider.js";
import * as application from "./pages/application.js";
import * as reviewer from "./pages/reviewer.js";
import * as expert from "./pages/expert.js";
import * as admin from "./pages/admin.js";
import * as regrading from "./pages/regrading.js";
import { dashboard } from "./pages/dashboard.js";

const P = "providers", R = "reviewers", E = "experts", A = "admins";
// path -> [menu title or null, groups that see it, render(main, params, session)]
const ROUTES = {
  dashboard: ["总览", [R, A], dashboard],
  apply: ["提交申请", [P], provider.apply],
  mine: ["我的申请", [P], provider.mine],
  rectifications: ["整改", [P], provider.rectifications],
  qualifications: ["资质与续期", [P], provider.qualifications],
  members: ["成员与邀请", [P], provider.members],
  queue: ["审核队列", [R, A], reviewer.queue],
  objections: ["异议处理", [R, A], reviewer.objections],
  "rect-review": ["整改验收", [R], reviewer.rectificationReview],
  panels: ["我的评审", [E], expert.panels],
  experts: ["专家库", [A], admin.experts],
  settings: ["配置与方案", [A, R], admin.settings],
  assessments: ["定期考核", [A, R], admin.assessments],
  regrading: ["年度复评", [A], regrading.page],
  notices: ["公示", [P, R, E, A], reviewer.notices],
  app: [null, [P, R, A], application.page],
  score: [null, [E], expert.scorecard],
};
const ROLE_ZH = { providers: "服务商", reviewers: "审核员", experts: "评审专家", admins: "管理员" };

function home(groups) {
  if (groups.includes(A) || groups.includes(R)) return "dashboard";
  if (groups.includes(E)) return "panels";
  if (groups.includes(P)) return "mine";
  return "notices";
}

function layout(s, current) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  nav.replaceChildren();
  who.replaceChildren();
  if (!s) return;
  const items = Object.entries(ROUTES).filter(([, [title, groups]]) => title && groups.some((g) => s.groups.includes(g)));
  nav.append(
    h(
      "ul",
      {},
      items.map(([path, [title]]) =>
        h("li", {}, h("a", { href: `#/${path}`, "aria-current": path === current ? "page" : null }, title)),
      ),
    ),
  );
  who.append(
    h("span", {}, `${s.name}（${s.groups.map((g) => ROLE_ZH[g] || g).join("、") || "无角色"}）`),
    h("button", { type: "button", class: "link", onclick: () => { auth.signOut(); route(); } }, "退出"),
  );
}

let latest = 0; // only the newest navigation may fill the page (a sign-in both changes the hash and routes)

export async function route() {
  const mine = (latest += 1);
  const main = document.getElementById("main");
  main.dataset.ready = "";
  const [path, ...params] = (window.location.hash.replace(/^#\/?/, "") || "").split("/").map(decodeURIComponent);
  const s = auth.session();
  if (!s) {
    if (mine !== latest) return;
    layout(null);
    main.replaceChildren(loginPage(auth, route));
    document.title = "登录 · 服务商分级管理";
    main.dataset.page = "login";
    main.dataset.ready = "1";
    return;
  }
  const name = path && ROUTES[path] ? path : home(s.groups);
  const [title, groups, render] = ROUTES[name];
  layout(s, name);
  const view = document.createElement("div");
  if (!groups.some((g) => s.groups.includes(g))) {
    view.append(h("h1", {}, "无权访问"), notice("您的角色不能使用此页面。", "error"));
  } else {
    document.title = `${title || "详情"} · 服务商分级管理`;
    try {
      await render(view, params, s);
    } catch (err) {
      view.append(notice(`页面加载失败：${err.message}`, "error"));
    }
  }
  if (mine !== latest) return;
  main.replaceChildren(...view.childNodes);
  main.dataset.app = view.dataset.app || "";
  main.dataset.page = name;
  main.dataset.ready = "1";
}

async function start() {
  const config = await fetch("/console/config.json").then((r) => (r.ok ? r.json() : { mode: "local" }));
  auth.configure(config);
  setBase(config.apiBase || "");
  document.getElementById("env").textContent = config.mode === "local" ? "本地环境" : "";
  if (config.mode === "cognito") {
    try {
      await auth.completeCognitoSignIn();
    } catch (err) {
      document.getElementById("main").append(notice(err.message, "error"));
    }
  }
  window.addEventListener("hashchange", () => route());
  await route();
}

start();
