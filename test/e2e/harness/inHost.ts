/** In-host tests (like @vscode/test-electron, but in code-server). */
import { resolve, sep } from "node:path";
import { REPO_ROOT } from "./paths.js";
import { deadline } from "./waiting.js";
import { startVSCode, type StartOptions } from "./vscode.js";

export interface InHostResult {
  /** The exit code VS Code reported: 0 when run() resolved, 1 when it threw. */
  code: number;
  /** The extension host's console and log lines forwarded by the workbench (codeAutomationLog). */
  output: string[];
  /** Log files the workbench passed to codeAutomationExit. */
  logs: Array<{ relativePath: string; contents: string }>;
}

/**
 * Runs an in-host test module in code-server's extension host, as @vscode/test-electron does
 * with Electron: the workbench is opened with the `payload` URL parameter carrying
 * extensionDevelopmentPath (this repository, loaded in place) and extensionTestsPath (a
 * CommonJS module exporting `run(): Promise<void>`), both as vscode-remote:// URIs; VS Code calls
 * run() once the extension host is up and reports the result through window.codeAutomationExit.
 * code-server's own CLI rejects --extensionDevelopmentPath/--extensionTestsPath; the URL route is
 * the one VS Code's own browser integration tests use.
 */
export async function runInHostTests(options: {
  /** Absolute path of the CommonJS test module (exports run()). */
  testsPath: string;
  /** Default: the repository root. */
  extensionDevelopmentPath?: string;
  timeoutMs?: number;
  onOutput?: (line: string) => void;
} & Omit<StartOptions, "installExtension" | "query" | "beforeGoto" | "waitFor">): Promise<InHostResult> {
  const output: string[] = [];
  let finish: (r: { code: number; logs: InHostResult["logs"] }) => void = () => undefined;
  const finished = new Promise<{ code: number; logs: InHostResult["logs"] }>((done) => (finish = done));
  const note = (line: string) => {
    output.push(line);
    options.onOutput?.(line);
  };
  const vs = await startVSCode({
    ...options,
    name: options.name ?? "inhost",
    installExtension: false,
    waitFor: "workbench",
    query: ({ port }) => {
      const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${resolve(p).split(sep).join("/")}`;
      const payload = [
        ["extensionDevelopmentPath", remote(options.extensionDevelopmentPath ?? REPO_ROOT)],
        ["extensionTestsPath", remote(options.testsPath)],
        ["skipWelcome", "true"],
      ];
      return { payload: JSON.stringify(payload) };
    },
    beforeGoto: async (page) => {
      await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => note(`[${type}] ${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`));
      await page.exposeFunction("codeAutomationExit", (code: number, logs: InHostResult["logs"]) => finish({ code, logs: logs ?? [] }));
    },
  });
  try {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const result = await Promise.race([finished, deadline(timeoutMs, undefined)]);
    if (!result) {
      await vs.saveArtifacts(`${vs.name}-timeout`, new Error("in-host tests timed out")).catch(() => undefined);
      throw new Error(`in-host tests did not finish within ${timeoutMs} ms\n${output.slice(-40).join("\n")}`);
    }
    if (result.code !== 0) await vs.saveArtifacts(`${vs.name}-failed`, new Error(`in-host tests exited with ${result.code}`)).catch(() => undefined);
    return { code: result.code, output, logs: result.logs };
  } finally {
    await vs.close();
  }
}
