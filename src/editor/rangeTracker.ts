/**
 * Ranges of a document that keep following its edits: the teacher-written text in the editor.
 * Offsets are UTF-16 code units, as VS Code's `rangeOffset` and `offsetAt` are.
 */

export interface TextChange {
  /** Offset where the replaced text starts (in the document before this change). */
  offset: number;
  /** Length of the replaced text. */
  deleted: number;
  /** Length of the inserted text. */
  inserted: number;
}

export interface TrackedRange<T> {
  start: number;
  end: number;
  data: T;
}

/**
 * Moves a range through one change. Insertions at its start push it along; insertions at its
 * end stay outside; edits inside grow or shrink it; text deleted around it cuts it down.
 * Returns undefined when nothing of the range is left.
 */
export function mapRange<T>(range: TrackedRange<T>, change: TextChange): TrackedRange<T> | undefined {
  const changeEnd = change.offset + change.deleted;
  const delta = change.inserted - change.deleted;
  const mapStart = (p: number) => (p < change.offset ? p : p >= changeEnd ? p + delta : change.offset + change.inserted);
  // An end at the end of replaced text was replaced with it: the new text is not the range's.
  const mapEnd = (p: number) => (p <= change.offset ? p : p > changeEnd ? p + delta : change.offset);
  let start = mapStart(range.start);
  const end = mapEnd(range.end);
  // An insertion strictly inside the range belongs to it (mapStart/End keep it inside).
  if (change.deleted === 0 && change.offset > range.start && change.offset < range.end) start = range.start;
  return start < end ? { start, end, data: range.data } : undefined;
}

export class RangeTracker<T> {
  private ranges: Array<TrackedRange<T>> = [];

  get all(): ReadonlyArray<TrackedRange<T>> {
    return this.ranges;
  }

  add(start: number, end: number, data: T): void {
    if (end > start) this.ranges.push({ start, end, data });
  }

  /** Applies changes given as VS Code does: each relative to the document before the event, sorted from last to first. */
  apply(changes: readonly TextChange[]): void {
    const ordered = [...changes].sort((a, b) => b.offset - a.offset);
    for (const change of ordered) {
      this.ranges = this.ranges.flatMap((r) => {
        const mapped = mapRange(r, change);
        return mapped ? [mapped] : [];
      });
    }
  }

  /** The range containing `offset`, if any. */
  at(offset: number): TrackedRange<T> | undefined {
    return this.ranges.find((r) => offset >= r.start && offset < r.end);
  }

  clear(): void {
    this.ranges = [];
  }
}
