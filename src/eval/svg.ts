/**
 * The cost/quality frontier as a hand-written SVG: accuracy against call ratio on a log x axis,
 * one panel per dataset (all sharing the x axis). In each, one line per policy through its
 * operating points (95% CI error bars), the calibrated random router dashed grey, and the
 * cells at call ratio 0 (student alone, teacher-free), which a log axis cannot place, as
 * horizontal reference lines labelled at the right, as is teacher alone (also drawn at 100%).
 */
import { cellLabel, ciText, gapText, type CellSummary, type EvalReport } from "./report.js";

const W = 760;
const M = { left: 64, right: 170, top: 40 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = 220;
/** Per panel: the dataset's name above the plot, tick labels and the axis title below. */
const PANEL_H = 22 + PLOT_H + 44;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"];
/** Known policies keep their colour from one report to the next; others follow in order. */
const KNOWN = ["router", "confidence", "entropy", "margin", "rolling-entropy", "step-entropy", "auto", "learned", "fixed-span"];
const RANDOM = "#7f7f7f";
const REFERENCE = "#333";
const X_TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const f = (x: number) => Number(x.toFixed(1)).toString();
const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Cells a log axis cannot place: student-only, and any policy that never called the teacher. */
function referencePolicies(cells: CellSummary[]): Set<string> {
  const policies = new Set(cells.map((c) => c.policy));
  return new Set([...policies].filter((p) => p === "student-only" || cells.filter((c) => c.policy === p).every((c) => c.callRatio === 0)));
}

export function frontierSvg(report: EvalReport): string {
  const cells = report.cells;
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const references = referencePolicies(cells);
  const curves = [...new Set(cells.map((c) => c.policy))].filter((p) => !references.has(p) && p !== "teacher-only" && p !== "random");
  const others = curves.filter((p) => !KNOWN.includes(p));
  const color = (policy: string) => (policy === "random" ? RANDOM : policy === "teacher-only" ? REFERENCE : COLORS[(KNOWN.includes(policy) ? KNOWN.indexOf(policy) : KNOWN.length + others.indexOf(policy)) % COLORS.length]);

  // One log axis for all panels, from the smallest positive ratio (rounded down to a tick) to 100%.
  const positive = cells.map((c) => c.callRatio).filter((r) => r > 0);
  const least = positive.length ? Math.min(...positive) : 0.01;
  // At least a decade wide, so a report whose only caller is teacher-only still has an axis.
  const xMin = Math.min(0.1, [...X_TICKS].reverse().find((t) => t <= least * (1 + 1e-9)) ?? X_TICKS[0]);
  // Inset from the frame, so points at either end stay clear of it.
  const px = (ratio: number) => M.left + 10 + ((Math.log(Math.max(ratio, xMin)) - Math.log(xMin)) / -Math.log(xMin)) * (PLOT_W - 20);

  const legend = legendItems(curves, cells, references, color);
  const legendRows = legendLayout(legend);
  const H = M.top + datasets.length * PANEL_H + legendRows.length * 20 + 12;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">Accuracy vs call ratio (cost/quality frontier)</text>`);

  datasets.forEach((dataset, i) => {
    const top = M.top + i * PANEL_H + 22;
    const of = cells.filter((c) => c.dataset === dataset);
    const yMax = Math.min(1, Math.ceil(Math.max(0.1, ...of.map((c) => c.accuracyCi95[1])) * 10 - 1e-9) / 10);
    const py = (acc: number) => top + PLOT_H - (acc / yMax) * PLOT_H;
    out.push(`<text x="${M.left}" y="${top - 8}" font-weight="bold">${esc(dataset)}</text>`);
    for (const t of X_TICKS.filter((t) => t >= xMin)) {
      out.push(`<line x1="${f(px(t))}" y1="${top}" x2="${f(px(t))}" y2="${top + PLOT_H}" stroke="#eee"/>`);
      out.push(`<text x="${f(px(t))}" y="${top + PLOT_H + 16}" text-anchor="middle">${Number((t * 100).toPrecision(3))}%</text>`);
    }
    for (let k = 0; k <= Math.round(yMax * 10); k++) {
      const acc = k / 10;
      out.push(`<line x1="${M.left}" y1="${f(py(acc))}" x2="${M.left + PLOT_W}" y2="${f(py(acc))}" stroke="#eee"/>`);
      out.push(`<text x="${M.left - 6}" y="${f(py(acc) + 4)}" text-anchor="end">${k * 10}%</text>`);
    }
    out.push(`<rect x="${M.left}" y="${top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#888"/>`);
    out.push(`<text x="${M.left + PLOT_W / 2}" y="${top + PLOT_H + 34}" text-anchor="middle">call ratio (teacher tokens / all tokens, log scale)</text>`);
    out.push(`<text transform="translate(16 ${top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);

    // Reference lines, their labels at the right pushed apart so close accuracies stay legible.
    const refs = of.filter((c) => references.has(c.policy) || c.policy === "teacher-only").sort((a, b) => b.accuracy - a.accuracy);
    let lastLabel = -Infinity;
    for (const c of refs) {
      const y = py(c.accuracy);
      const labelY = Math.max(y + 4, lastLabel + 14);
      lastLabel = labelY;
      const name = c.policy === "student-only" ? "student alone" : c.policy === "teacher-only" ? "teacher alone" : cellLabel(c);
      const band = `<rect x="${M.left}" y="${f(py(c.accuracyCi95[1]))}" width="${PLOT_W}" height="${f(py(c.accuracyCi95[0]) - py(c.accuracyCi95[1]))}" fill="${REFERENCE}" fill-opacity="0.06"/>`;
      const line = `<line class="reference" x1="${M.left}" y1="${f(y)}" x2="${M.left + PLOT_W}" y2="${f(y)}" stroke="${REFERENCE}" stroke-dasharray="6 4"/>`;
      const label = `<text x="${M.left + PLOT_W + 6}" y="${f(labelY)}">${esc(`${name} ${pct1(c.accuracy)}`)}</text>`;
      const point = c.callRatio > 0 ? errorBar(c, px(c.callRatio), py, REFERENCE) + `<circle cx="${f(px(c.callRatio))}" cy="${f(y)}" r="4" fill="${REFERENCE}"/>` : "";
      out.push(`<g class="cell"><title>${esc(tooltip(c))}</title>${band}${line}${label}${point}</g>`);
    }

    // One line per policy through its points by call ratio; the random router dashed grey.
    for (const policy of [...curves, ...(references.has("random") ? [] : ["random"])]) {
      const points = of.filter((c) => c.policy === policy).sort((a, b) => a.callRatio - b.callRatio || a.accuracy - b.accuracy);
      if (points.length === 0) continue;
      const random = policy === "random";
      if (points.length > 1) {
        const dash = random ? ` stroke-dasharray="5 4"` : "";
        out.push(`<polyline class="policy" data-policy="${esc(policy)}" points="${points.map((c) => `${f(px(c.callRatio))},${f(py(c.accuracy))}`).join(" ")}" fill="none" stroke="${color(policy)}" stroke-width="1.5"${dash}/>`);
      }
      for (const c of points) {
        const x = px(c.callRatio);
        // Below the axis' lower bound (a point that never called): pinned to its edge, hollow.
        const pinned = c.callRatio < xMin;
        const fill = random || pinned ? `fill="#fff" stroke="${color(policy)}" stroke-width="1.5"` : `fill="${color(policy)}"`;
        out.push(`<g class="cell"><title>${esc(tooltip(c) + (pinned ? " (drawn at the left edge)" : ""))}</title>${errorBar(c, x, py, color(policy))}<circle cx="${f(x)}" cy="${f(py(c.accuracy))}" r="4" ${fill}/></g>`);
      }
    }
  });

  // Legend under the panels: policies by colour, then the random router and the references.
  let y = M.top + datasets.length * PANEL_H + 14;
  for (const row of legendRows) {
    for (const { item, x } of row) {
      const lx = M.left + x;
      const stroke = item.dashed ? ` stroke-dasharray="5 4"` : "";
      out.push(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 22}" y2="${y - 4}" stroke="${item.color}" stroke-width="1.5"${stroke}/>`);
      if (!item.dashed || item.color === RANDOM) out.push(`<circle cx="${lx + 11}" cy="${y - 4}" r="4" fill="${item.color === RANDOM ? "#fff" : item.color}" stroke="${item.color}"/>`);
      out.push(`<text x="${lx + 28}" y="${y}">${esc(item.label)}</text>`);
    }
    y += 20;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function tooltip(c: CellSummary): string {
  return `${c.dataset} · ${cellLabel(c)}: accuracy ${pct1(c.accuracy)} (95% CI ${ciText(c.accuracyCi95)}), call ratio ${(c.callRatio * 100).toFixed(2)}%, gap recovered ${gapText(c.gapRecovered)}`;
}

function errorBar(c: CellSummary, x: number, py: (acc: number) => number, stroke: string): string {
  const [lo, hi] = c.accuracyCi95.map(py);
  return `<path d="M${f(x - 3)},${f(lo)}H${f(x + 3)}M${f(x)},${f(lo)}V${f(hi)}M${f(x - 3)},${f(hi)}H${f(x + 3)}" stroke="${stroke}" stroke-opacity="0.6" fill="none"/>`;
}

interface LegendItem {
  label: string;
  color: string;
  dashed: boolean;
}

function legendItems(curves: string[], cells: CellSummary[], references: Set<string>, color: (p: string) => string): LegendItem[] {
  const items = curves.map((p) => ({ label: p, color: color(p), dashed: false }));
  if (cells.some((c) => c.policy === "random")) items.push({ label: "random (calibrated)", color: RANDOM, dashed: true });
  if (cells.some((c) => references.has(c.policy) || c.policy === "teacher-only")) items.push({ label: "reference (no call / teacher alone)", color: REFERENCE, dashed: true });
  return items;
}

/** Wraps the legend into rows that fit the width (text width estimated at 7 px a character). */
function legendLayout(items: LegendItem[]): Array<Array<{ item: LegendItem; x: number }>> {
  const rows: Array<Array<{ item: LegendItem; x: number }>> = [];
  let x = Infinity;
  for (const item of items) {
    const width = 28 + item.label.length * 7 + 18;
    if (x + width > W - M.left - 12) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ item, x });
    x += width;
  }
  return rows;
}
