/**
 * Glob patterns as VS Code writes them (`files.exclude`, `relay.inline.exclude`): `**` any
 * number of path segments, `*` and `?` within one segment, `{a,b}` alternatives, `[abc]` /
 * `[!abc]` character classes. Matched against `/`-separated relative paths.
 */

const cache = new Map<string, RegExp>();

/** The pattern as an anchored regular expression (cached). */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) cache.set(glob, (re = new RegExp(`^${translate(glob)}$`)));
  return re;
}

export function globMatches(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}

function translate(glob: string): string {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` is zero or more whole segments; a trailing `**` is anything.
        i++;
        if (glob[i + 1] === "/") {
          i++;
          out += "(?:[^/]*/)*";
        } else out += ".*";
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        out += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else out += c.replace(/[.+^$()|\\/]/g, "\\$&");
  }
  return out;
}
