/**
 * Markdown for a chat that renders Markdown itself (VS Code's native chat): an answer's text as
 * it streams, with the teacher's text marked.
 *
 * The native chat renders an extension's Markdown with a small HTML allow-list and strips every
 * `style` (checked in VS Code 1.139), so a tint like the panel's cannot be had there; `<ins>`
 * with a `title` survives (underlined, the panel's tint has the same underline, and the title
 * is the panel's tooltip: model, tokens, latency). A legend says so once per answer.
 *
 * A mark placed carelessly would change how the Markdown parses, as in the panel
 * (webview/source.ts): it goes after whitespace and line-start syntax (list markers, heading and
 * quote marks, a table's pipes), never inside code or math — an inline code span or `$…$` that
 * the teacher touched is marked whole; a fenced block cannot hold a mark, so the lines the
 * teacher wrote in are named in a line under the block. Text is written out as it comes, except
 * what could still change meaning: the start of a line until its first word is known (a fence?
 * a rule?), an inline code span or formula until it closes, a line inside a fence that could be
 * its end. Model text is made inert: a `<` outside code becomes `&lt;`, so no HTML of the
 * model's reaches the chat; only the marks are HTML.
 */
import { formatInt, plural } from "./answerFigures.js";
import type { Span } from "./spans.js";

/** What a mark says about its teacher span (its tooltip). */
export interface TeacherMark {
  model?: string;
  tokens: number;
  durationMs?: number;
}

export function teacherMark(span: Pick<Span, "model" | "tokens" | "durationMs">): TeacherMark {
  return { model: span.model, tokens: span.tokens, durationMs: span.durationMs };
}

/** "teacher <model> · <tokens> tokens · <latency> ms": the panel's tooltip (webview/format.ts). */
export function teacherTitle(mark: TeacherMark): string {
  const latency = mark.durationMs === undefined ? "" : ` · ${formatInt(mark.durationMs)} ms`;
  return `teacher ${mark.model ?? "model"} · ${plural(mark.tokens, "token")}${latency}`;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function openMark(mark: TeacherMark): string {
  return `<ins title="${escapeAttribute(teacherTitle(mark))}">`;
}

export const CLOSE_MARK = "</ins>";

/** Said once per answer that has teacher text (the footer's first line). */
export const TEACHER_LEGEND = `<ins title="teacher text looks like this">Underlined</ins> text was written by the teacher — hover it for the model, tokens and latency.`;

/** Lines that are syntax only: display-math delimiters, rules, table delimiters. */
const SYNTAX_LINE = [/^\s*(\$\$|\\\[|\\\])\s*$/, /^\s*([-*_=])[ \t]*(\1[ \t]*){2,}$/, /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/];
/** Block markers at the start of a line (quote, bullet, ordered item, heading, table pipe). */
const LINE_PREFIX = /^[ \t]*(?:(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|#{1,6}(?=[ \t]|$)|\|)[ \t]*)+/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const MATH_BLOCK = /^\s*\$\$\s*$/;

interface Range {
  start: number;
  end: number;
  mark: TeacherMark;
}

interface Fence {
  /** The fence's characters (``` or ~~~, at least as long as the opening), or "$$". */
  marker: string;
  /** Content line number (1-based) of the current line. */
  line: number;
  /** Content lines the teacher wrote in, and the teacher spans (for the note). */
  teacherLines: number[];
  marks: TeacherMark[];
}

/** An inline atom (code span or formula) of a line: [start, end); `open` when not closed yet. */
interface Atom {
  start: number;
  end: number;
  open: boolean;
}

/** Inline code spans and `$…$` formulas of one line, in order. */
export function inlineAtoms(line: string): Atom[] {
  const atoms: Atom[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === "`") {
      let n = 1;
      while (line[i + n] === "`") n++;
      const run = "`".repeat(n);
      // the closing run: exactly n backticks
      let j = i + n;
      let close = -1;
      while ((j = line.indexOf(run, j)) >= 0) {
        if (line[j - 1] !== "`" && line[j + n] !== "`") {
          close = j;
          break;
        }
        while (line[j] === "`") j++;
      }
      if (close < 0) {
        atoms.push({ start: i, end: line.length, open: true });
        return atoms;
      }
      atoms.push({ start: i, end: close + n, open: false });
      i = close + n;
      continue;
    }
    if (ch === "$" && line[i + 1] !== " " && line[i + 1] !== "\t") {
      const n = line[i + 1] === "$" ? 2 : 1;
      const delim = "$".repeat(n);
      let j = i + n;
      let close = -1;
      while ((j = line.indexOf(delim, j)) >= 0) {
        if (line[j - 1] !== "\\" && line[j - 1] !== " " && j > i + n) {
          close = j;
          break;
        }
        j += n;
      }
      if (close < 0) {
        // Not closed (yet): a price ("$5") or a formula still coming; decided at the line's end.
        atoms.push({ start: i, end: line.length, open: true });
        return atoms;
      }
      atoms.push({ start: i, end: close + n, open: false });
      i = close + n;
      continue;
    }
    i++;
  }
  return atoms;
}

/** A piece of an answer, as the writer takes them: student text, or a teacher span with its mark. */
export type AnswerPiece = { text: string; mark?: TeacherMark };

/**
 * Writes one answer's Markdown as its text arrives: `student(text)` and `teacher(text, mark)`
 * return what to append to the chat now (maybe ""), `end()` the rest.
 */
export class TeacherMarkdown {
  /** The whole answer's Markdown at once (the same as streaming it). */
  static render(pieces: readonly AnswerPiece[]): string {
    const w = new TeacherMarkdown();
    let out = "";
    for (const p of pieces) out += p.mark ? w.teacher(p.text, p.mark) : w.student(p.text);
    return out + w.end();
  }

  /** The current line's text so far (what the model wrote), and how much of it is written out. */
  private raw = "";
  private written = 0;
  private ranges: Range[] = [];
  private fence: Fence | undefined;
  /** Teacher spans with visible text so far. */
  teacherSpans = 0;
  /** Whether what was written so far ends a line (or nothing was written). */
  private lineEnded = true;

  student(text: string): string {
    return this.track(this.add(text, undefined));
  }

  teacher(text: string, mark: TeacherMark): string {
    if (text.trim()) this.teacherSpans++;
    return this.track(this.add(text, mark));
  }

  private track(out: string): string {
    if (out) this.lineEnded = out.endsWith("\n");
    return out;
  }

  /**
   * Everything still held back (the answer has ended), and the end of a fenced block the answer
   * left open, so that what follows (the footer) is not inside it.
   */
  end(): string {
    let out = this.track(this.raw.length > 0 ? this.finishLine(false) : "");
    const fence = this.fence;
    if (fence) {
      this.fence = undefined;
      out += `${this.lineEnded ? "" : "\n"}${fence.marker}\n${this.fenceNote(fence, true)}`;
      this.lineEnded = true;
    }
    return out;
  }

  private add(text: string, mark: TeacherMark | undefined): string {
    let out = "";
    const parts = text.split("\n");
    parts.forEach((piece, i) => {
      if (piece) {
        if (mark) this.ranges.push({ start: this.raw.length, end: this.raw.length + piece.length, mark });
        this.raw += piece;
      }
      if (i < parts.length - 1) out += this.finishLine(true);
    });
    return out + this.partial();
  }

  /** Writes out the rest of the current line (ended by "\n" when `newline`) and starts the next. */
  private finishLine(newline: boolean): string {
    const raw = this.raw;
    const rest = raw.slice(this.written);
    const nl = newline ? "\n" : "";
    let out: string;
    const fence = this.fence;
    if (fence) {
      if (this.closesFence(raw)) {
        this.fence = undefined;
        out = rest + nl + this.fenceNote(fence, newline);
      } else {
        if (this.ranges.some((r) => raw.slice(r.start, r.end).trim())) {
          fence.teacherLines.push(fence.line);
          for (const r of this.ranges) if (!fence.marks.includes(r.mark)) fence.marks.push(r.mark);
        }
        fence.line++;
        out = rest + nl;
      }
    } else if (this.written === 0 && FENCE_OPEN.test(raw)) {
      const run = FENCE_OPEN.exec(raw)![1]!;
      this.fence = { marker: run, line: 1, teacherLines: [], marks: [] };
      out = rest + nl;
    } else if (this.written === 0 && MATH_BLOCK.test(raw)) {
      this.fence = { marker: "$$", line: 1, teacherLines: [], marks: [] };
      out = rest + nl;
    } else if (this.written === 0 && SYNTAX_LINE.some((re) => re.test(raw))) {
      out = rest + nl;
    } else {
      out = this.render(raw.length, false) + nl;
    }
    this.raw = "";
    this.written = 0;
    this.ranges = [];
    return out;
  }

  private closesFence(line: string): boolean {
    const fence = this.fence!;
    if (fence.marker === "$$") return MATH_BLOCK.test(line);
    const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    return !!m && m[1]![0] === fence.marker[0] && m[1]!.length >= fence.marker.length;
  }

  /** The line under a fenced block the teacher wrote in. */
  private fenceNote(fence: Fence, newline: boolean): string {
    if (fence.teacherLines.length === 0) return "";
    const lines = fence.teacherLines;
    const which = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.slice(0, -1).join(", ")} and ${lines[lines.length - 1]}`;
    const title = fence.marks.map(teacherTitle).join("; ");
    return `${newline ? "" : "\n"}<sub>↑ <ins title="${escapeAttribute(title)}">teacher</ins> text in the code above: ${which}</sub>\n\n`;
  }

  /** What of an unfinished line can be written out now. */
  private partial(): string {
    const raw = this.raw;
    if (raw.length === this.written) return "";
    if (this.fence) {
      // Literal text; hold a line that could still be the closing fence.
      const head = raw.trimStart();
      if (this.written === 0 && (head === "" || head[0] === this.fence.marker[0])) return "";
      const out = raw.slice(this.written);
      this.written = raw.length;
      return out;
    }
    if (this.written === 0) {
      const head = raw.replace(/^[ \t]+/, "");
      // A fence, display math or a rule may be coming; and the line's prefix must be whole.
      if (/^[`~$\\]/.test(head) || /^[-*_=+|:#>.)\d \t]*$/.test(head) || !/\S[ \t]/.test(head)) return "";
    }
    // An atom still open, or closed by a run at the very end that could still grow (`` ` `` → ```` `` ````).
    const open = inlineAtoms(raw).find((a) => a.open || a.end === raw.length);
    let cut = open ? open.start : raw.length;
    // A trailing backslash may escape what comes next.
    if (cut > 0 && raw[cut - 1] === "\\" && cut === raw.length) cut--;
    // A teacher span is written whole (one mark), never cut.
    for (const r of this.ranges) if (r.start < cut && r.end > cut) cut = r.start;
    if (cut <= this.written) return "";
    return this.render(cut, true);
  }

  /** Writes raw[written, to) with the teacher's marks; `partial`: the line goes on. */
  private render(to: number, partial: boolean): string {
    const raw = this.raw;
    const from = this.written;
    const teacher: Array<Range | undefined> = new Array<Range | undefined>(raw.length).fill(undefined);
    for (const r of this.ranges) for (let i = r.start; i < r.end; i++) teacher[i] = r;
    const atoms = inlineAtoms(raw).filter((a) => !a.open || !partial);
    const inAtom = new Array<boolean>(raw.length).fill(false);
    for (const a of atoms) {
      if (a.open) continue; // an unclosed backtick or $ at the line's end is text
      const touched = teacher.slice(a.start, a.end).find((r) => r);
      for (let i = a.start; i < a.end; i++) {
        inAtom[i] = true;
        teacher[i] = touched;
      }
    }
    // Line-start syntax is never marked; nor a table's pipes.
    const prefix = LINE_PREFIX.exec(raw)?.[0].length ?? 0;
    for (let i = 0; i < prefix; i++) teacher[i] = undefined;
    if (/^\s*\|/.test(raw)) for (let i = 0; i < raw.length; i++) if (raw[i] === "|" && raw[i - 1] !== "\\" && !inAtom[i]) teacher[i] = undefined;
    let out = "";
    let i = from;
    while (i < to) {
      const r = teacher[i];
      let j = i + 1;
      while (j < to && teacher[j] === r) j++;
      const text = escapeText(raw, i, j, inAtom);
      if (r) {
        // The mark covers the teacher's words, not the whitespace around them.
        const lead = /^\s*/.exec(text)![0];
        const trail = /\s*$/.exec(text.slice(lead.length))![0];
        const body = text.slice(lead.length, text.length - trail.length);
        out += body ? `${lead}${openMark(r.mark)}${body}${CLOSE_MARK}${trail}` : text;
      } else out += text;
      i = j;
    }
    this.written = to;
    return out;
  }
}

/** raw[from, to) with `<` made inert outside code and formulas. */
function escapeText(raw: string, from: number, to: number, inAtom: readonly boolean[]): string {
  let out = "";
  for (let i = from; i < to; i++) out += raw[i] === "<" && !inAtom[i] ? "&lt;" : raw[i];
  return out;
}
