/** A Logger that writes to stderr, quiet unless --verbose. */
import type { Logger } from "../core/logger.js";

export function stderrLogger(verbose: boolean): Logger {
  const write = (level: string) => (message: string) => process.stderr.write(`[${level}] ${message}\n`);
  const off = () => {};
  return {
    trace: off,
    debug: verbose ? write("debug") : off,
    info: verbose ? write("info") : off,
    warn: write("warn"),
    error: write("error"),
  };
}
