/**
 * Which files may give inline context: only files inside a workspace folder, none excluded by a
 * glob (`files.exclude`, `relay.inline.exclude`) or by a `.gitignore` on the way to them. A
 * folder that is excluded excludes everything under it, and a `!` rule never brings a file back
 * from an ignored folder (as git). Paths are URI paths (`/home/u/proj/src/a.ts`); the caller
 * reads the `.gitignore` files that `gitignoreDirs()` names and hands their text in.
 */
import { globMatches } from "./glob.js";

export interface ContextRules {
  /** Workspace folders, as URI paths. */
  folders: readonly string[];
  /** Globs relative to the workspace folder. */
  exclude: readonly string[];
  /** The text of each `.gitignore`, keyed by the URI path of the folder that holds it. */
  gitignores: ReadonlyMap<string, string>;
}

/** The workspace folder holding `path` and the path relative to it; undefined outside every folder. */
export function insideWorkspace(path: string, folders: readonly string[]): { folder: string; relative: string } | undefined {
  if (path.split("/").some((s) => s === ".." || s === ".")) return undefined;
  for (const raw of folders) {
    const folder = raw.replace(/\/+$/, "");
    if (path.startsWith(`${folder}/`) && path.length > folder.length + 1) return { folder, relative: path.slice(folder.length + 1) };
  }
  return undefined;
}

/** The folders whose `.gitignore` applies to `path`: the workspace folder, then each folder down to the file's own. */
export function gitignoreDirs(path: string, folders: readonly string[]): string[] {
  const inside = insideWorkspace(path, folders);
  if (!inside) return [];
  const segments = inside.relative.split("/").slice(0, -1);
  return [inside.folder, ...segments.map((_, i) => `${inside.folder}/${segments.slice(0, i + 1).join("/")}`)];
}

/** Whether a file may be read for context. */
export function contextAllowed(path: string, rules: ContextRules): boolean {
  const inside = insideWorkspace(path, rules.folders);
  if (!inside) return false;
  const segments = inside.relative.split("/");
  // The file and each folder on the way to it, relative to the workspace folder.
  const steps = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  if (steps.some((step) => rules.exclude.some((glob) => globMatches(glob, step) || globMatches(glob.replace(/\/+$/, ""), step)))) return false;
  const ignores = gitignoreDirs(path, rules.folders).flatMap((dir) => parseGitignore(rules.gitignores.get(dir) ?? "", dir));
  return steps.every((step, i) => !ignoredBy(ignores, `${inside.folder}/${step}`, i < steps.length - 1));
}

interface IgnoreRule {
  /** The folder of the `.gitignore` (URI path). */
  base: string;
  glob: string;
  negated: boolean;
  dirOnly: boolean;
}

function parseGitignore(text: string, base: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, "");
    if (!line || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    if (negated) line = line.slice(1);
    if (line.startsWith("\\")) line = line.slice(1);
    const dirOnly = line.endsWith("/");
    line = line.replace(/\/+$/, "");
    if (!line) continue;
    // A pattern with a slash is anchored to its .gitignore's folder; one without matches at any depth.
    const glob = line.includes("/") ? line.replace(/^\//, "") : `**/${line}`;
    rules.push({ base, glob, negated, dirOnly });
  }
  return rules;
}

/** The last rule that matches decides (git's order: outer files first, later lines win). */
function ignoredBy(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (!path.startsWith(`${rule.base}/`)) continue;
    const relative = path.slice(rule.base.length + 1);
    if (globMatches(rule.glob, relative) || globMatches(`${rule.glob}/**`, relative)) ignored = !rule.negated;
  }
  return ignored;
}
