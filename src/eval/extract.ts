/** Answer extraction: the last `\boxed{}` of a response, and GSM8K's `#### n` gold answers. */

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

/**
 * The content of the last complete `\boxed{…}` (or `\fbox{…}`, or `\boxed 5`) in `text`, with
 * nested braces; null if there is none. An unclosed last box (a cut-off answer) is skipped in
 * favour of the one before it.
 */
export function lastBoxed(text: string): string | null {
  const starts: number[] = [];
  for (const command of BOX_COMMANDS) {
    for (let i = text.indexOf(command); i >= 0; i = text.indexOf(command, i + 1)) {
      // `\boxedfoo` is another command.
      if (!/[A-Za-z]/.test(text[i + command.length] ?? "")) starts.push(i + command.length);
    }
  }
  starts.sort((a, b) => b - a);
  for (const start of starts) {
    const content = boxContent(text, start);
    if (content !== null) return content.trim();
  }
  return null;
}

function boxContent(text: string, start: number): string | null {
  let i = start;
  while (text[i] === " ") i++;
  if (text[i] !== "{") {
    // `\boxed 5`: one token up to whitespace or the end of math mode.
    const bare = /^[^\s$]+/.exec(text.slice(i));
    return i > start && bare ? bare[0] : null;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    // `\{` and `\}` are literal braces, not groups.
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return text.slice(i + 1, j);
  }
  return null;
}

/** The number after the last `####` of a GSM8K worked solution, commas removed. */
export function gsm8kGold(answer: string): string | null {
  const at = answer.lastIndexOf("####");
  if (at < 0) return null;
  const value = answer.slice(at + 4).trim().replace(/,(?=\d{3}\b)/g, "");
  return value.length > 0 ? value : null;
}

/** What a response answers: its last `\boxed{}`, else a GSM8K-style `#### n` line; null if neither. */
export function extractAnswer(response: string): string | null {
  const boxed = lastBoxed(response);
  if (boxed !== null) return boxed;
  const hashes = /####\s*([^\n]+)\s*$/.exec(response.trimEnd());
  return hashes ? hashes[1].trim() : null;
}
