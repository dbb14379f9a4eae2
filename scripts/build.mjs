// Bundles the CLI (ESM) with esbuild. node-llama-cpp stays external: it is ESM with
// top-level await and ships platform binaries, so it is loaded from node_modules at run time.
import { build } from "esbuild";
import { chmodSync } from "node:fs";
import { buildWebview } from "../webview/build.mjs";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Loaded from node_modules at run time: native/ESM-heavy packages, and the (large) math engine
  // that only `relay eval` uses.
  external: ["node-llama-cpp", "vscode", "@cortex-js/compute-engine"],
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/cli.js",
  format: "esm",
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url);",
  },
});
chmodSync("dist/cli.js", 0o755);

// The extension: CommonJS for VS Code's extension host; node-llama-cpp is loaded with import().
// import.meta.url is this file's URL there too (modules find files beside them with it).
await build({
  ...common,
  entryPoints: ["src/extension/extension.ts"],
  outfile: "dist/extension.cjs",
  format: "cjs",
  banner: { js: "const __relayImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { "import.meta.url": "__relayImportMetaUrl" },
});

// The chat panel's front end (browser bundle, KaTeX CSS and fonts).
await buildWebview("dist/webview");
