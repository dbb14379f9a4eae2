// Builds the chat panel's front end for the browser:
//   <outdir>/main.js            the bundle (IIFE, minified; markdown-it, KaTeX, highlight.js, DOMPurify, toolkit)
//   <outdir>/chat.css           the panel's styles; @imports katex/katex.min.css
//   <outdir>/katex/katex.min.css, <outdir>/katex/fonts/*.woff2   KaTeX's styles and fonts
// Only the woff2 fonts are copied (every VS Code has a Chromium that reads them), and the
// stylesheet is rewritten to name only those, so nothing it refers to is missing.
//
//   import { buildWebview } from "./webview/build.mjs"; await buildWebview("dist/webview");
//   node webview/build.mjs [outdir]
import { build } from "esbuild";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * @param {string} outdir where to write main.js, chat.css and katex/
 * @param {{ minify?: boolean, sourcemap?: boolean }} [options]
 * @returns {Promise<{ files: string[] }>} the files written, relative to outdir
 */
export async function buildWebview(outdir, options = {}) {
  const out = resolve(outdir);
  await mkdir(join(out, "katex", "fonts"), { recursive: true });

  await build({
    entryPoints: [join(here, "main.ts")],
    outfile: join(out, "main.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome114"],
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ?? false,
    legalComments: "eof",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  const files = ["main.js"];
  if (options.sourcemap) files.push("main.js.map");

  await copyFile(join(here, "chat.css"), join(out, "chat.css"));
  files.push("chat.css");

  const katexDist = join(dirname(require.resolve("katex/package.json")), "dist");
  const css = await readFile(join(katexDist, "katex.min.css"), "utf8");
  // src:url(fonts/X.woff2) format("woff2"),url(fonts/X.woff) format("woff"),url(fonts/X.ttf) format("truetype")
  const woff2Only = css.replace(/,\s*url\(fonts\/[^)]+\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g, "");
  await writeFile(join(out, "katex", "katex.min.css"), woff2Only);
  files.push("katex/katex.min.css");
  for (const font of await readdir(join(katexDist, "fonts"))) {
    if (!font.endsWith(".woff2")) continue;
    await copyFile(join(katexDist, "fonts", font), join(out, "katex", "fonts", font));
    files.push(`katex/fonts/${font}`);
  }
  return { files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outdir = process.argv[2] ?? join(here, "..", "dist", "webview");
  const { files } = await buildWebview(outdir);
  console.log(`webview: ${files.length} files in ${outdir}`);
}
