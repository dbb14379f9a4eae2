/**
 * `relay router train`: fits the router on collections with scikit-learn (the Python helper
 * `relaytools.router`, in the project's pinned `tools` environment) and writes the router file
 * beside its report. The helper's output is checked by the same parser the product uses, so a
 * file that would be refused at run time is never written.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RelayError } from "../core/errors.js";
import { parseRouter } from "../core/routing/router.js";
import { packageRoot } from "../eval/packageRoot.js";
import { projectPython } from "../eval/projectPython.js";

export interface TrainOptions {
  data: string[];
  out: string;
  model: "auto" | "logistic" | "mlp";
  label: "disagree" | "strong" | "rollout" | "utility" | "expected";
  span: number;
  seed: number;
  /** A Python with scikit-learn; default: the package's `tools` environment. */
  python?: string;
}

export interface TrainReport {
  json: Record<string, unknown>;
  markdown: string;
}

export async function trainRouter(options: TrainOptions): Promise<TrainReport> {
  for (const file of options.data) if (!existsSync(file)) throw new RelayError("invalid-argument", `--data ${file}: no such file.`);
  const root = packageRoot();
  const python = options.python ?? process.env.RELAY_TOOLS_PYTHON ?? (await projectPython(root, "tools", 15 * 60_000, { who: "relay router train", instead: "", code: "invalid-argument" }));
  const tmp = `${options.out}.tmp-${process.pid}`;
  const args = ["-m", "relaytools.router", "--out", tmp, "--model", options.model, "--label", options.label, "--span", String(options.span), "--seed", String(options.seed), ...options.data];
  const { code, stderr } = await run(python, args, join(root, "python"));
  if (code !== 0) throw new RelayError("invalid-argument", `Training the router failed (exit ${code}):\n${stderr.trim().split("\n").slice(-12).join("\n")}`);
  const text = await readFile(tmp, "utf8");
  // The product's own parser: a file it would refuse is not written.
  const router = parseRouter(JSON.parse(text), tmp);
  await rename(tmp, options.out);
  const markdown = await readFile(`${tmp}.md`, "utf8");
  await writeFile(`${options.out}.md`, markdown);
  await import("node:fs/promises").then((fs) => fs.rm(`${tmp}.md`, { force: true }));
  return { json: router.file.metrics ?? {}, markdown };
}

function run(python: string, args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { cwd, env: { ...process.env, PYTHONPATH: cwd }, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
}
