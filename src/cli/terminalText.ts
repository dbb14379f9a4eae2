/**
 * The one way out to the terminal for text that someone else wrote — a model's answer, a
 * server's error body, a dataset line, `relay grade`'s input, a model file's metadata.
 * Control characters (an OSC escape that retitles the window or writes a link, a clear screen,
 * cursor moves, a bell, a carriage return that overwrites the line, C1 controls) and bidi
 * characters that reorder what is shown are made visible, never interpreted. Newlines and tabs
 * pass. JSON output is escaped the same way: JSON.stringify leaves C1 controls, DEL and bidi
 * characters raw; here they are written as \u escapes (the same JSON value, nothing a terminal
 * acts on).
 *
 * Every write of the `relay` command to stdout or stderr goes through this module (ESLint
 * refuses `process.stdout.write`, `process.stderr.write` and `console` elsewhere in src/cli):
 * printOut/printErr/printJson for text that may hold someone else's words, and printStyled only
 * for text this process composed (chalk colours) around parts already made safe.
 */
import { BIDI_CONTROLS } from "../core/hiddenText.js";

// C0 controls but \n and \t, DEL, C1 controls, bidi characters, a carriage return not before \n.
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]|\\r(?!\\n)`, "g");
// What JSON.stringify leaves raw that a terminal may act on: DEL, C1, bidi, line/paragraph separators.
const JSON_UNSAFE = new RegExp(`[\\u007f-\\u009f${BIDI_CONTROLS}\\u2028\\u2029]`, "g");

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    // C0 controls as their visible symbols (␛ for ESC), the rest as \u escapes.
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** `value` as JSON with nothing a terminal acts on: C0 (JSON.stringify's own escapes), C1, DEL, bidi as \u escapes. */
export function jsonSafe(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Text to stdout, made safe. */
export function printOut(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/** Text to stderr, made safe. */
export function printErr(text: string): void {
  process.stderr.write(terminalSafe(text));
}

/** One JSON line to stdout, made safe. */
export function printJson(value: unknown): void {
  process.stdout.write(jsonSafe(value) + "\n");
}

/**
 * Text this process styled (chalk) around parts that went through terminalSafe first: the only
 * write that lets escape sequences through, so only ours get there.
 */
export function printStyled(stream: "stdout" | "stderr", text: string): void {
  process[stream].write(text);
}
