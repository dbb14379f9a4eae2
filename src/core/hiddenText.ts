/**
 * Characters that change how text reads without showing themselves: bidirectional formatting
 * characters (they reorder what is displayed, "Trojan Source": code that reads one way and runs
 * another) and invisible ones (zero-width spaces and joiners, fillers, Unicode tag characters
 * that smuggle text no one sees). The terminal escapes the first kind (src/cli/terminalText.ts);
 * the chat panel shows both kinds in code blocks and warns before code holding them is inserted
 * or copied.
 */

/** Bidirectional formatting characters, the Arabic letter mark (U+061C) included, as the inside of a RegExp character class (escapes, not the characters). */
export const BIDI_CONTROLS = String.raw`\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069`;

const BIDI = new RegExp(`[${BIDI_CONTROLS}]`, "u");
// Soft hyphen, combining grapheme joiner, Hangul and Khmer fillers, Mongolian selectors and
// separator, zero-width space / non-joiner / joiner, word joiner, invisible math operators,
// deprecated format characters, BOM (zero-width no-break space), Unicode tags. Each is looked for
// alone (a joiner or selector among them is what is being found, not part of a sequence).
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0\u{e0000}-\u{e007f}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
// eslint-disable-next-line no-misleading-character-class -- see INVISIBLE
const ALL = new RegExp(`${BIDI.source}|${INVISIBLE.source}`, "gu");

const NAMES: Record<number, string> = {
  0x00ad: "SOFT HYPHEN",
  0x061c: "ARABIC LETTER MARK",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
};

export interface HiddenChar {
  /** UTF-16 index in the text. */
  index: number;
  /** Its length in UTF-16 code units (2 for a tag character). */
  length: number;
  codePoint: number;
  kind: "bidi" | "invisible";
  /** "U+202E RIGHT-TO-LEFT OVERRIDE". */
  label: string;
}

/** "U+202E RIGHT-TO-LEFT OVERRIDE", "U+E0041 TAG CHARACTER". */
export function codePointLabel(codePoint: number): string {
  const hex = codePoint.toString(16).toUpperCase().padStart(4, "0");
  const name = NAMES[codePoint] ?? (codePoint >= 0xe0000 && codePoint <= 0xe007f ? "TAG CHARACTER" : "INVISIBLE FORMAT CHARACTER");
  return `U+${hex} ${name}`;
}

/**
 * Every bidirectional and invisible character of `text`, in order. A zero-width joiner or
 * variation selector between emoji (👩‍💻) is how those are written, and is not reported.
 */
export function findHiddenChars(text: string): HiddenChar[] {
  const found: HiddenChar[] = [];
  for (const match of text.matchAll(ALL)) {
    const char = match[0];
    const index = match.index;
    const codePoint = char.codePointAt(0)!;
    if (codePoint === 0x200d && PICTOGRAPH.test(text.slice(Math.max(0, index - 4), index)) && PICTOGRAPH.test(text.slice(index + 1, index + 3))) continue;
    found.push({ index, length: char.length, codePoint, kind: BIDI.test(char) ? "bidi" : "invisible", label: codePointLabel(codePoint) });
  }
  return found;
}

/** One line for a warning: "2 bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 …) and 1 invisible character (U+200B ZERO WIDTH SPACE)". */
export function describeHiddenChars(found: readonly HiddenChar[]): string {
  const part = (kind: HiddenChar["kind"], one: string, many: string) => {
    const of = found.filter((c) => c.kind === kind);
    if (of.length === 0) return undefined;
    const labels = [...new Set(of.map((c) => c.label))];
    return `${of.length} ${of.length === 1 ? one : many} (${labels.slice(0, 3).join(", ")}${labels.length > 3 ? ", …" : ""})`;
  };
  return [part("bidi", "bidirectional control", "bidirectional controls"), part("invisible", "invisible character", "invisible characters")].filter(Boolean).join(" and ");
}

/** `text` without its bidirectional and invisible characters (emoji joiners kept, as findHiddenChars reads them). */
export function stripHiddenChars(text: string): string {
  let out = "";
  let at = 0;
  for (const c of findHiddenChars(text)) {
    out += text.slice(at, c.index);
    at = c.index + c.length;
  }
  return out + text.slice(at);
}

/** What the editor asks before code holding hidden characters is copied or inserted. */
export interface HiddenCodeWarning {
  message: string;
  detail: string;
  /** The button that uses the code as it is. */
  asIs: string;
  /** The button that removes them first. */
  without: string;
}

/** The warning for `code`, or undefined when it holds no hidden character (nothing to ask). */
export function hiddenCodeWarning(code: string, action: "copy" | "insert"): HiddenCodeWarning | undefined {
  const found = findHiddenChars(code);
  if (found.length === 0) return undefined;
  const verb = action === "copy" ? "Copy" : "Insert";
  return {
    message: `This code holds ${describeHiddenChars(found)}.`,
    detail: "Bidirectional controls can make code read differently from how it runs, and invisible characters can hide text. The chat panel shows each as a U+ mark.",
    asIs: `${verb} As Is`,
    without: `Remove Them and ${verb}`,
  };
}
