/**
 * The server side: code-server (VS Code as a server + browser workbench: 1.100, or the current
 * one on its own Node, paths.ts) on a free
 * 127.0.0.1 port with its own user-data and extensions folders, and the logs it writes (the
 * extension host's, the output channels', its own).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { CODE_SERVER, type CodeServerInstall } from "./paths.js";
import { exited, freePort, groupMembers, killGroup, waitExit } from "./processes.js";
import { escapeRegExp, waitUntil } from "./waiting.js";

export interface CodeServerOptions {
  /** Folder for the config file and code-server's stdout/stderr logs. */
  root: string;
  userDataDir: string;
  extensionsDir: string;
  /** The folder to open, or undefined for an empty window. */
  workspaceDir?: string;
  /** false: pass --disable-workspace-trust. */
  workspaceTrust: boolean;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** Which code-server (default: RELAY_E2E_VSCODE's, paths.ts). */
  install?: CodeServerInstall;
}

/** Environment variables of the test process that would change how code-server behaves. */
const INHERITED_KNOBS = ["PORT", "PASSWORD", "HASHED_PASSWORD", "VSCODE_IPC_HOOK_CLI", "VSCODE_PROXY_URI", "CS_DISABLE_FILE_DOWNLOADS"];

function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

export class CodeServer {
  port = 0;
  private child: ChildProcess | undefined;

  constructor(private readonly options: CodeServerOptions) {}

  /** Starts code-server and waits for /healthz; retries on another port when the port was taken. */
  async start(timeoutMs: number): Promise<void> {
    const o = this.options;
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      const configFile = join(o.root, "code-server.yaml");
      writeFileSync(configFile, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
      const install = o.install ?? CODE_SERVER;
      const args = [
        install.entry,
        "--config", configFile,
        "--auth", "none",
        "--bind-addr", `127.0.0.1:${this.port}`,
        "--user-data-dir", o.userDataDir,
        "--extensions-dir", o.extensionsDir,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-getting-started-override",
        "--disable-proxy",
        "--ignore-last-opened",
        ...(o.workspaceTrust ? [] : ["--disable-workspace-trust"]),
        ...(o.workspaceDir ? [o.workspaceDir] : []),
      ];
      const env: Record<string, string | undefined> = {
        ...process.env,
        XDG_CONFIG_HOME: join(o.root, "xdg-config"),
        XDG_DATA_HOME: join(o.root, "xdg-data"),
        ...o.env,
      };
      for (const k of INHERITED_KNOBS) if (!o.env?.[k]) delete env[k];
      const out = openSync(join(o.root, "code-server.out.log"), "a");
      const err = openSync(join(o.root, "code-server.err.log"), "a");
      this.child = spawn(install.node, args, { cwd: o.root, env, detached: true, stdio: ["ignore", out, err] });
      closeSync(out);
      closeSync(err);
      const child = this.child;
      try {
        await waitUntil(async () => {
          if (exited(child)) throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}): ${this.serverLog().slice(-2000)}`);
          const r = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => undefined);
          return r?.ok;
        }, timeoutMs, `code-server on 127.0.0.1:${this.port}`);
        return;
      } catch (error) {
        const portTaken = /EADDRINUSE/.test(this.serverLog());
        killGroup(child.pid, "SIGKILL");
        await waitExit(child, 5000);
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  }

  /** Stops code-server and its whole process group (the extension host is in it). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && !exited(child)) {
      killGroup(child.pid, "SIGTERM");
      if (!(await waitExit(child, 8000))) {
        killGroup(child.pid, "SIGKILL");
        await waitExit(child, 5000);
      }
    }
    // the extension host and other children share code-server's process group
    if (child?.pid && groupMembers(child.pid).length) killGroup(child.pid, "SIGKILL");
  }

  /** Synchronous last-resort kill (process exit / signal). */
  killNow(): void {
    killGroup(this.child?.pid, "SIGKILL");
  }

  /** Waits until the extension host has begun activating the extension, and fails if it says activation failed. */
  async waitForActivation(id: string, timeoutMs = 60_000): Promise<void> {
    const escaped = escapeRegExp(id);
    await waitUntil(() => {
      const log = this.extensionHostLog();
      const failed = new RegExp(`Activating extension '?${escaped}'? failed[^\\n]*`, "i").exec(log);
      if (failed) throw new Error(failed[0]);
      return new RegExp(`_doActivateExtension ${escaped}\\b`, "i").test(log);
    }, timeoutMs, `activation of ${id}`, 250).catch((error: Error) => {
      throw new Error(`${error.message}\n--- extension host log ---\n${this.extensionHostLog().slice(-4000)}`);
    });
  }

  /** The newest session folder under USER_DATA_DIR/logs. */
  logsDir(): string | undefined {
    const logs = join(this.options.userDataDir, "logs");
    if (!existsSync(logs)) return undefined;
    const sessions = readdirSync(logs).filter((d) => statSync(join(logs, d)).isDirectory()).sort();
    return sessions.length ? join(logs, sessions[sessions.length - 1]!) : undefined;
  }

  /** Files of the extension host logs (logs/<session>/exthost<N>/**), extension output channels included. */
  extensionHostLogFiles(): string[] {
    const session = this.logsDir();
    if (!session) return [];
    return readdirSync(session)
      .filter((d) => d.startsWith("exthost"))
      .flatMap((d) => listFiles(join(session, d)));
  }

  /** All extension host log files concatenated, each under a "==> path <==" header. */
  extensionHostLog(): string {
    const session = this.logsDir() ?? "";
    return this.extensionHostLogFiles()
      .map((f) => `==> ${relative(session, f)} <==\n${readFileSync(f, "utf8")}`)
      .join("\n");
  }

  /** An output channel's log ("Relay" -> exthost*\/<extension id>/Relay.log, or output_logging_*\/N-Relay.log). */
  outputChannelLog(channel: string): string {
    const files = this.extensionHostLogFiles().filter((f) => basename(f) === `${channel}.log` || new RegExp(`^\\d+-${escapeRegExp(channel)}\\.log$`).test(basename(f)));
    return files.map((f) => readFileSync(f, "utf8")).join("\n");
  }

  /** code-server's own stdout + stderr. */
  serverLog(): string {
    return ["code-server.out.log", "code-server.err.log"]
      .map((f) => join(this.options.root, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
  }
}
