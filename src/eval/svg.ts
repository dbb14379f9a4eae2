/**
 * The cost/quality frontier as a hand-written SVG scatter plot: accuracy against call ratio,
 * one point per dataset and condition (colour = condition, shape = dataset), the macro
 * averages as large labelled points, and the Pareto frontier through them. The x axis is
 * square-root scaled: relay call ratios of ~1% and teacher-only's 100% both stay readable.
 */
import type { EvalReport } from "./report.js";

const W = 760;
const H = 480;
const M = { left: 64, right: 190, top: 28, bottom: 52 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const X_TICKS = [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const f = (x: number) => Number(x.toFixed(1)).toString();

function marker(shape: number, x: number, y: number, r: number, fill: string, extra = ""): string {
  const s = `fill="${fill}"${extra}`;
  switch (shape % 5) {
    case 0:
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" ${s}/>`;
    case 1:
      return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${f(2 * r)}" height="${f(2 * r)}" ${s}/>`;
    case 2:
      return `<polygon points="${f(x)},${f(y - r * 1.2)} ${f(x + r * 1.1)},${f(y + r * 0.8)} ${f(x - r * 1.1)},${f(y + r * 0.8)}" ${s}/>`;
    case 3:
      return `<polygon points="${f(x)},${f(y - r * 1.3)} ${f(x + r * 1.1)},${f(y)} ${f(x)},${f(y + r * 1.3)} ${f(x - r * 1.1)},${f(y)}" ${s}/>`;
    default:
      return `<polygon points="${f(x - r)},${f(y - r)} ${f(x + r)},${f(y - r)} ${f(x)},${f(y + r)}" ${s}/>`;
  }
}

export function frontierSvg(report: EvalReport): string {
  const conditions = [...new Set(report.cells.map((c) => c.condition))];
  const datasets = [...new Set(report.cells.map((c) => c.dataset))];
  const maxRatio = Math.max(0.01, ...report.cells.map((c) => c.callRatio));
  const xMax = X_TICKS.find((t) => t >= maxRatio) ?? 1;
  const yMax = Math.min(1, Math.ceil(Math.max(0.1, ...report.cells.map((c) => c.accuracy)) * 10 - 1e-9) / 10);
  const px = (ratio: number) => M.left + (Math.sqrt(ratio) / Math.sqrt(xMax)) * PLOT_W;
  const py = (acc: number) => M.top + PLOT_H - (acc / yMax) * PLOT_H;
  const color = (condition: string) => COLORS[conditions.indexOf(condition) % COLORS.length];
  const out: string[] = [];

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="18" font-size="14" font-weight="bold">Accuracy vs call ratio (cost/quality frontier)</text>`);
  let lastTick = -Infinity;
  for (const t of X_TICKS.filter((t) => t <= xMax)) {
    // On the square-root scale the small ticks crowd together: keep those with room.
    if (px(t) - lastTick < 30) continue;
    lastTick = px(t);
    out.push(`<line x1="${f(px(t))}" y1="${M.top}" x2="${f(px(t))}" y2="${M.top + PLOT_H}" stroke="#eee"/>`);
    out.push(`<text x="${f(px(t))}" y="${M.top + PLOT_H + 16}" text-anchor="middle">${t * 100}%</text>`);
  }
  for (let i = 0; i <= Math.round(yMax * 10); i++) {
    const acc = i / 10;
    out.push(`<line x1="${M.left}" y1="${f(py(acc))}" x2="${M.left + PLOT_W}" y2="${f(py(acc))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(py(acc) + 4)}" text-anchor="end">${Number((acc * 100).toFixed(1))}%</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + PLOT_W / 2}" y="${H - 12}" text-anchor="middle">call ratio (teacher tokens / all tokens, square-root scale)</text>`);
  out.push(`<text transform="translate(16 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);

  for (const c of report.cells) {
    const title = `${c.dataset} · ${c.condition}: accuracy ${(c.accuracy * 100).toFixed(2)}%, call ratio ${(c.callRatio * 100).toFixed(2)}%`;
    const shape = marker(datasets.indexOf(c.dataset), px(c.callRatio), py(c.accuracy), 5, color(c.condition), ` fill-opacity="0.75"`);
    out.push(`<g><title>${esc(title)}</title>${shape}</g>`);
  }
  // With several datasets, the macro averages carry the labels and the frontier.
  const labelled = datasets.length > 1 ? report.averages.map((a) => ({ ...a, x: px(a.callRatio), y: py(a.accuracy) })) : report.cells.map((c) => ({ ...c, x: px(c.callRatio), y: py(c.accuracy) }));
  const frontier = labelled
    .slice()
    .sort((a, b) => a.callRatio - b.callRatio || b.accuracy - a.accuracy)
    .filter((p, i, all) => all.slice(0, i).every((q) => q.accuracy < p.accuracy));
  if (frontier.length > 1) out.push(`<polyline points="${frontier.map((p) => `${f(p.x)},${f(p.y)}`).join(" ")}" fill="none" stroke="#444" stroke-dasharray="4 3"/>`);
  for (const p of labelled) {
    if (datasets.length > 1) out.push(`<circle cx="${f(p.x)}" cy="${f(p.y)}" r="8" fill="${color(p.condition)}" stroke="#000"/>`);
    // Near the right edge the label goes to the left of its point, clear of the legend.
    const left = p.x > M.left + PLOT_W - 90;
    out.push(`<text x="${f(left ? p.x - 10 : p.x + 10)}" y="${f(p.y - 8)}"${left ? ` text-anchor="end"` : ""}>${esc(p.condition)}</text>`);
  }

  // Legend: colours for conditions, shapes for datasets.
  let y = M.top + 8;
  const lx = M.left + PLOT_W + 24;
  out.push(`<text x="${lx}" y="${y}" font-weight="bold">condition</text>`);
  for (const c of conditions) {
    y += 18;
    out.push(`<circle cx="${lx + 6}" cy="${y - 4}" r="5" fill="${color(c)}"/><text x="${lx + 18}" y="${y}">${esc(c)}</text>`);
  }
  y += 28;
  out.push(`<text x="${lx}" y="${y}" font-weight="bold">dataset</text>`);
  datasets.forEach((d, i) => {
    y += 18;
    out.push(`${marker(i, lx + 6, y - 4, 5, "#666")}<text x="${lx + 18}" y="${y}">${esc(d)}</text>`);
  });
  if (datasets.length > 1) {
    y += 28;
    out.push(`<circle cx="${lx + 6}" cy="${y - 4}" r="8" fill="#fff" stroke="#000"/><text x="${lx + 18}" y="${y}">average</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
