/** The extension under test: building it once and installing it into an extensions folder. */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "./paths.js";

let built = false;
/** Runs `node scripts/build.mjs` once per process (always with force, else only when dist/ lacks the extension). */
export function ensureBuilt(options: { force?: boolean } = {}): void {
  if (built && !options.force) return;
  if (!options.force && existsSync(join(REPO_ROOT, extensionMain()))) {
    built = true;
    return;
  }
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`node scripts/build.mjs failed (exit ${r.status})`);
  built = true;
}

/** The fields of a package.json the harness reads. */
export interface Manifest {
  name: string;
  publisher: string;
  version: string;
  main?: string;
  contributes?: { views?: Record<string, Array<{ id: string; name: string; type?: string }>> };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The package.json of an extension folder. */
export function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Manifest;
}

function extensionMain(): string {
  return (readManifest(REPO_ROOT).main ?? "./dist/extension.cjs").replace(/^\.\//, "");
}

/** `publisher.name` of the extension in this repository. */
export function extensionId(folder = REPO_ROOT): string {
  const m = readManifest(folder);
  return `${m.publisher}.${m.name}`;
}

/** Runtime dependency closure of `names`, resolved in `nodeModules` (top-level folders only). */
export function runtimeDependencyTree(names: string[], nodeModules = join(REPO_ROOT, "node_modules")): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const folder = join(nodeModules, name);
    if (!existsSync(join(folder, "package.json"))) continue; // optional or nested elsewhere
    seen.add(name);
    const m = readManifest(folder);
    queue.push(...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}));
  }
  return [...seen].sort();
}

export interface InstallOptions {
  /** Extra paths, relative to the repo root, copied into the installed extension (e.g. "webview-dist"). */
  extraPaths?: string[];
  /**
   * Packages of the repo's node_modules the installed extension needs at run time:
   * "all" links the whole node_modules folder; a list links those packages and their runtime
   * dependency tree (e.g. ["node-llama-cpp"]). Symlinks by default; `copyNodeModules` copies.
   */
  nodeModules?: "all" | string[];
  copyNodeModules?: boolean;
}

/** Installs the repository's extension into `extensionsDir` as publisher.name-version; returns its folder. */
export function installExtension(extensionsDir: string, options: InstallOptions = {}): string {
  const m = readManifest(REPO_ROOT);
  const target = join(extensionsDir, `${m.publisher}.${m.name}-${m.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const main = extensionMain();
  if (!existsSync(join(REPO_ROOT, main))) throw new Error(`${main} is missing: run \`node scripts/build.mjs\` (or call ensureBuilt()) before the e2e tests`);
  const copies = ["package.json", "dist", "media", "README.md", "LICENSE", "LICENSE.md", "CHANGELOG.md", "package.nls.json", ...(options.extraPaths ?? [])];
  for (const rel of copies) {
    const from = join(REPO_ROOT, rel);
    if (!existsSync(from)) {
      if (options.extraPaths?.includes(rel)) throw new Error(`extra path ${rel} does not exist`);
      continue;
    }
    cpSync(from, join(target, rel), { recursive: true });
  }
  const nm = join(REPO_ROOT, "node_modules");
  if (options.nodeModules === "all") {
    if (options.copyNodeModules) cpSync(nm, join(target, "node_modules"), { recursive: true });
    else symlinkSync(nm, join(target, "node_modules"), "dir");
  } else if (options.nodeModules?.length) {
    for (const name of runtimeDependencyTree(options.nodeModules, nm)) {
      const to = join(target, "node_modules", name);
      mkdirSync(dirname(to), { recursive: true });
      if (options.copyNodeModules) cpSync(join(nm, name), to, { recursive: true });
      else symlinkSync(join(nm, name), to, "dir");
    }
  }
  return target;
}

