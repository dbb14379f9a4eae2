/**
 * Repairs LaTeX commands that a JSON encoder ate: `"\frac"` written unescaped decodes to a form
 * feed + "rac", `"\triangle"` to a tab + "riangle", `"\boxed"` to a backspace + "oxed". A control
 * character is turned back into a backslash only where the letters after it then spell a known
 * command; any other control character is kept and flagged, never passed on silently.
 */

/** JSON escapes that can swallow a LaTeX backslash, and the letter they stand for. */
const ESCAPES: Record<string, string> = { "\b": "b", "\f": "f", "\r": "r", "\t": "t" };

/** LaTeX commands starting with b, f, r or t (the letters of those escapes). */
const COMMANDS = new Set(
  [
    "b bar beta binom boxed bf big bigg bigl bigr biggl biggr bigcup bigcap bigoplus bigotimes bigwedge bigvee bmod bot bullet backslash because begin blacksquare boldsymbol breve bmatrix bbox",
    "f frac forall flat frown fbox footnotesize frak",
    "r rho right rightarrow rightleftharpoons rangle rceil rfloor rm rbrace rbrack rvert rVert ref rule raisebox",
    "t tan tanh tau text textbf textit textrm texttt textup textsf textnormal textstyle textcolor tfrac theta therefore tilde times to top triangle triangleleft triangleright trianglelefteq trianglerighteq tbinom tiny thinspace",
  ]
    .join(" ")
    .split(" ")
    .filter((name) => name.length > 1),
);

export interface ControlCharFix {
  /** What was done: a command restored, or a character kept. */
  action: "repaired" | "flagged";
  /** "\\frac", or a description of the kept character. */
  detail: string;
}

export interface ControlCharResult {
  text: string;
  fixes: ControlCharFix[];
}

// Control characters other than the newline; a following letter run may spell a command.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /([\u0000-\u0009\u000b-\u001f\u007f])([A-Za-z]*)/g;

export function repairControlChars(text: string): ControlCharResult {
  const fixes: ControlCharFix[] = [];
  const repaired = text.replace(CONTROL, (match, char: string, letters: string) => {
    const letter = ESCAPES[char];
    if (letter !== undefined && COMMANDS.has(letter + letters)) {
      fixes.push({ action: "repaired", detail: `\\${letter}${letters}` });
      return `\\${letter}${letters}`;
    }
    const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    fixes.push({ action: "flagged", detail: char === "\t" ? `tab (${code}) kept as whitespace before "${letters}"` : `control character ${code} kept before "${letters}"` });
    return match;
  });
  return { text: repaired, fixes };
}
