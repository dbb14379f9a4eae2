/** A Logger that writes to stderr, quiet unless --verbose; messages may carry a server's or a model's words, so each is made safe. */
import type { Logger } from "../core/logger.js";
import { printErr } from "./terminalText.js";

export function stderrLogger(verbose: boolean): Logger {
  const write = (level: string) => (message: string) => printErr(`[${level}] ${message}\n`);
  const off = () => {};
  return {
    trace: off,
    debug: verbose ? write("debug") : off,
    info: verbose ? write("info") : off,
    warn: write("warn"),
    error: write("error"),
  };
}
