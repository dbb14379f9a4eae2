/**
 * Model text made safe for a terminal: control characters (an OSC escape that retitles the
 * window, cursor moves, a bell, a carriage return that overwrites the line, C1 controls, bidi
 * overrides that reorder what is shown) are shown as visible escapes, never interpreted.
 * Newlines and tabs pass.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    // C0 controls as their visible symbols (␛ for ESC), the rest as \u escapes.
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
