// Annual re-grading: start a run, follow its progress, chart the result; a what-if of a draft config.
import * as echarts from "../vendor/echarts.esm.min.mjs";
import { ApiError, get, post } from "../lib/api.js";
import { field, form, h, notice, section, table, zhCategory } from "../lib/ui.js";

const val = (el, name) => el.querySelector(`[name="${name}"]`).value.trim();
const CHANGE_ZH = { up: "升级", down: "降级", kept: "维持", no_data: "无考核数据", failed: "失败" };

function chart(title, option) {
  const el = h("div", { class: "chart", role: "img", "aria-label": title });
  requestAnimationFrame(() => echarts.init(el, null, { renderer: "svg" }).setOption({ animation: false, ...option }));
  return h("figure", {}, h("figcaption", {}, title), el);
}

export function charts(report, compareLabel) {
  const grades = [1, 2, 3, 4];
  const count = (key) => grades.map((g) => report.rows.filter((r) => Number(r[key]) === g).length);
  const categories = [...new Set(report.rows.map((r) => r.category))];
  const by = (change) => categories.map((c) => report.rows.filter((r) => r.category === c && r.change === change).length);
  return h(
    "div",
    { class: "charts" },
    chart(`等级分布：${compareLabel}`, {
      tooltip: {},
      legend: { data: ["复评前", "复评后"] },
      xAxis: { type: "category", data: ["一级", "二级", "三级", "四级"] },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "复评前", type: "bar", data: count("old_grade") },
        { name: "复评后", type: "bar", data: count("new_grade") },
      ],
    }),
    chart("按类别的升降", {
      tooltip: {},
      legend: { data: ["升级", "降级", "维持"] },
      xAxis: { type: "category", data: categories.map(zhCategory) },
      yAxis: { type: "value", minInterval: 1 },
      series: ["up", "down", "kept"].map((k) => ({ name: CHANGE_ZH[k], type: "bar", stack: "all", data: by(k) })),
    }),
  );
}

async function follow(box, runId, label) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": "复评进度" });
  const text = h("p", { "aria-live": "polite" });
  box.append(h("div", { class: "progress" }, bar, text));
  for (;;) {
    const run = await get(`/v1/regradings/${runId}`);
    const pct = run.total ? Math.round((run.done / run.total) * 100) : 0;
    bar.value = run.status === "completed" ? 100 : pct;
    text.textContent = `${run.status === "completed" ? "已完成" : run.status === "failed" ? "失败" : "进行中"}：${run.done} / ${run.total}`;
    if (run.status === "failed") {
      box.append(
        form({ "aria-label": "继续复评" }, [h("button", { type: "submit" }, "从中断处继续")], async () => {
          try {
            await post(`/v1/regradings/${runId}/resume`, {});
          } catch (err) {
            if (err instanceof ApiError && err.routeMissing) throw new ApiError(404, { error: { message: "此部署不支持继续复评" } });
            throw err;
          }
          box.replaceChildren();
          await follow(box, runId, label);
        }),
      );
      return;
    }
    if (run.status === "completed") {
      box.append(table(Object.keys(run.counts).map((k) => CHANGE_ZH[k] || k), [Object.values(run.counts).map(String)]));
      if (run.report_url) {
        const report = await fetch(run.report_url).then((r) => r.json());
        box.append(charts(report, label));
        box.append(h("p", {}, h("a", { href: run.report_csv_url }, "下载 CSV 报告")));
      }
      box.dataset.done = "1";
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function page(main) {
  const year = new Date().getUTCFullYear();
  const runBox = h("div", { id: "run" });
  const whatIfBox = h("div", { id: "what-if" });
  main.append(
    h("h1", {}, "年度复评"),
    section(
      "开始复评",
      form({ "aria-label": "开始复评", id: "regrading-form" }, [field("年度", "year", { type: "number", value: year }), h("button", { type: "submit", class: "primary" }, "开始复评")], async (el) => {
        const started = await post("/v1/regradings", { year: Number(val(el, "year")) });
        runBox.replaceChildren(h("p", {}, `复评 ${started.run_id}`));
        await follow(runBox, started.run_id, "复评前后");
      }),
      runBox,
    ),
    section(
      "假设分析（不写入等级）",
      form({ "aria-label": "假设分析" }, [
        field("年度", "year", { type: "number", value: year }),
        field("现场评审权重（%）", "evaluation_weight", { type: "number", value: 50 }),
        field("年度考核权重（%）", "assessment_weight", { type: "number", value: 50 }),
        field("一级分数线", "band1", { type: "number", value: 90 }),
        field("二级分数线", "band2", { type: "number", value: 80 }),
        field("三级分数线", "band3", { type: "number", value: 70 }),
        h("button", { type: "submit" }, "运行假设分析"),
      ], async (el) => {
        const config = {
          version: "draft",
          evaluation_weight: val(el, "evaluation_weight"),
          assessment_weight: val(el, "assessment_weight"),
          bands: [
            { grade: 1, min_total: val(el, "band1") },
            { grade: 2, min_total: val(el, "band2") },
            { grade: 3, min_total: val(el, "band3") },
            { grade: 4, min_total: "0" },
          ],
        };
        const started = await post("/v1/regradings/what-if", { year: Number(val(el, "year")), config });
        whatIfBox.replaceChildren(h("p", {}, `假设分析 ${started.run_id}（与现行等级比较）`));
        await follow(whatIfBox, started.run_id, "现行等级与草稿规则");
      }),
      whatIfBox,
    ),
  );
}
