/** Small inline SVG icons (16×16, stroked in the current text colour); no icon font needed. */
const PATHS = {
  copy: "M5.5 5.5h8v8h-8z M10.5 5.5v-3h-8v8h3",
  insert: "M8 2v7.5 M5 6.5l3 3 3-3 M2.5 13.5h11",
  check: "M3 8.5l3 3 7-7",
  stop: "M4.5 4.5h7v7h-7z",
  send: "M2.5 8h9 M8 4.5l3.5 3.5-3.5 3.5 M13.5 3v10",
} as const;

export type IconName = keyof typeof PATHS;

const SVG_NS = "http://www.w3.org/2000/svg";

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", PATHS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
