/**
 * The ring buffer of context chunks from recently opened and edited files (llama.vscode keeps 16
 * chunks of 64 lines): a new chunk replaces the ones it mostly repeats (the same file region
 * seen again, or the same text elsewhere), and the oldest go when it is full.
 */

export interface ContextChunk {
  /** The file, as a URI path. */
  path: string;
  /** Its path relative to the workspace folder: what the model is shown. */
  name: string;
  /** First line of the chunk in the file (0-based). */
  line: number;
  text: string;
  /** A definition of a symbol near the cursor, or a chunk of a recently used file. */
  kind: "definition" | "recent";
}

export const CHUNK_LINES = 64;

/** The `size` lines around `line` (clipped to the file), as a chunk's first line and text. */
export function chunkAround(lines: readonly string[], line: number, size = CHUNK_LINES): { line: number; text: string } {
  const start = Math.max(0, Math.min(line - Math.floor(size / 2), lines.length - size));
  return { line: start, text: lines.slice(start, start + size).join("\n") };
}

/** Share of `a`'s non-blank lines that are also in `b`. */
export function overlap(a: string, b: string): number {
  const mine = a.split("\n").filter((l) => l.trim());
  if (mine.length === 0) return 1;
  const theirs = new Set(b.split("\n").map((l) => l.trim()));
  return mine.filter((l) => theirs.has(l.trim())).length / mine.length;
}

/** Chunks at least this similar count as the same. */
const SAME = 0.9;

export class ChunkRing {
  private ring: ContextChunk[] = [];

  constructor(private readonly capacity = 16) {}

  /** Adds a chunk (newest), dropping those it repeats and the oldest beyond the capacity. */
  add(chunk: ContextChunk): void {
    if (!chunk.text.trim()) return;
    this.ring = this.ring.filter((c) => !(c.path === chunk.path && Math.abs(c.line - chunk.line) < CHUNK_LINES / 2) && overlap(c.text, chunk.text) < SAME);
    this.ring.push(chunk);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  /** Drops a file's chunks (it was deleted, or became excluded). */
  forget(path: string): void {
    this.ring = this.ring.filter((c) => c.path !== path);
  }

  /** Newest first. */
  chunks(): ContextChunk[] {
    return [...this.ring].reverse();
  }

  get size(): number {
    return this.ring.length;
  }
}
