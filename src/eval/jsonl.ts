/**
 * Reading JSON-lines text as users hand it over: a UTF-8 byte order mark that an editor (or
 * PowerShell's `Out-File`) wrote at the start belongs to the file, not to its first line.
 */

/** The UTF-8 encoding of U+FEFF. */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** `text` without a byte order mark at its start (decoded text: U+FEFF). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
