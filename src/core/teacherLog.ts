/** The "teacher requests" log: exactly what left the machine, and what came back. */

export interface TeacherLogEntry {
  ts: string;
  provider: string;
  model: string;
  /** The URL the request really went to (after any same-origin redirect it followed). */
  url?: string;
  /** Redirects met on the way: followed (same origin) or refused. */
  redirects?: Array<{ status: number; from: string; to: string; followed: boolean }>;
  style?: string;
  /** The request body exactly as sent (already redacted; never contains the API key). */
  request: unknown;
  reply?: string;
  finish?: string;
  usage?: { promptTokens: number; completionTokens: number; cachedPromptTokens?: number };
  error?: string;
  durationMs: number;
}

export interface TeacherRequestLog {
  record(entry: TeacherLogEntry): void;
}

/** Keeps the last entries in memory (for a "show teacher requests" view and for tests). */
export class MemoryTeacherLog implements TeacherRequestLog {
  readonly entries: TeacherLogEntry[] = [];
  constructor(private readonly capacity = 200) {}
  record(entry: TeacherLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
  }
}

/** The newest entries a readable view shows (the raw file keeps them all). */
export const READABLE_LOG_ENTRIES = 200;

/** A fence longer than any run of backticks in `text`, so the text cannot close it. */
function fenced(text: string, info = "text"): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/** What an entry's request sent, as text: the prompt, or the messages one per role. */
function sentText(request: unknown): string {
  if (!request || typeof request !== "object") return JSON.stringify(request, null, 2) ?? "";
  const r = request as { prompt?: unknown; messages?: unknown };
  if (typeof r.prompt === "string") return r.prompt;
  if (Array.isArray(r.messages)) {
    return r.messages
      .map((m: { role?: unknown; content?: unknown }) => `[${String(m?.role ?? "?")}]\n${typeof m?.content === "string" ? m.content : JSON.stringify(m?.content)}`)
      .join("\n\n");
  }
  return JSON.stringify(request, null, 2);
}

const int = (n: number) => n.toLocaleString("en-US");
/** "2026-12-07 12:44:12 UTC" from an ISO time (the log's times are UTC). */
const when = (ts: string) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(ts) ? `${ts.slice(0, 10)} ${ts.slice(11, 19)}` : ts);
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * The teacher-request log (JSON lines) as a readable Markdown document, newest first: a table of
 * the requests (time, URL, model, style, tokens, duration, result), then each one's redacted text
 * as sent and the reply. Lines that are not entries are counted, never shown raw.
 */
export function teacherLogMarkdown(lines: readonly string[], rawPath: string): string {
  const entries: TeacherLogEntry[] = [];
  let unreadable = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as TeacherLogEntry;
      if (e && typeof e === "object" && typeof e.ts === "string") entries.push(e);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  const shown = entries.slice(-READABLE_LOG_ENTRIES).reverse();
  const out = [
    "# Relay: teacher requests (what left this machine)",
    "",
    `${int(entries.length)} request${entries.length === 1 ? "" : "s"} in the log${shown.length < entries.length ? `, the newest ${int(shown.length)} shown` : ""}, newest first; times in UTC. The text is exactly what was sent, after redaction.`,
    `Raw log (JSON lines): ${rawPath} — "Open Raw Teacher Requests" in this editor's title bar.${unreadable ? ` ${int(unreadable)} line${unreadable === 1 ? "" : "s"} of it could not be read.` : ""}`,
    "",
  ];
  if (shown.length === 0) return [...out, "No teacher requests yet."].join("\n") + "\n";
  out.push("| # | time | URL | model | style | tokens in/out | ms | result |", "|---:|---|---|---|---|---:|---:|---|");
  shown.forEach((e, i) => {
    const tokens = e.usage ? `${int(e.usage.promptTokens)}/${int(e.usage.completionTokens)}` : "–";
    const result = e.error ? `failed: ${e.error}` : (e.finish ?? "ok");
    out.push(`| ${entries.length - i} | ${when(e.ts)} | ${cell(e.url ?? "")} | ${cell(e.model)} | ${cell(e.style ?? "")} | ${tokens} | ${int(e.durationMs)} | ${cell(result)} |`);
  });
  shown.forEach((e, i) => {
    out.push("", `## ${entries.length - i}. ${when(e.ts)} — ${e.model}${e.url ? ` at ${e.url}` : ""}`, "");
    for (const r of e.redirects ?? []) out.push(`- redirect ${r.status} from ${r.from} to ${r.to}: ${r.followed ? "followed" : "refused"}`);
    if (e.redirects?.length) out.push("");
    out.push("Sent:", "", fenced(sentText(e.request)), "");
    if (e.error) out.push(`Failed: ${e.error}`);
    else out.push("Received:", "", fenced(e.reply ?? ""));
  });
  return out.join("\n") + "\n";
}
