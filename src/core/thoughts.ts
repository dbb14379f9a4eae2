/**
 * Reasoning ("thinking") sections such as Qwen3's `<think>…</think>`: a streaming splitter that
 * tells reasoning from answer text and removes the markers. Like the tag scanner it holds back
 * text that could still become a marker, so a consumer never shows a fragment of one.
 */

/** The markers of a model's reasoning section, as they appear in its decoded text. */
export interface ThoughtFormat {
  open: string;
  close: string;
  /** The rendered prompt leaves a reasoning section open (the model starts inside it). */
  startsInside: boolean;
}

export interface ThoughtPiece {
  text: string;
  thought: boolean;
}

export class ThoughtSplitter {
  private buffer = "";
  private insideThought: boolean;
  /** Right after a marker: the newlines a template puts around it are not content. */
  private afterMarker: boolean;

  constructor(private readonly format: ThoughtFormat) {
    this.insideThought = format.startsInside;
    this.afterMarker = format.startsInside;
  }

  /** True while the text being pushed is reasoning. */
  get inside(): boolean {
    return this.insideThought;
  }

  push(text: string): ThoughtPiece[] {
    this.buffer += text;
    return this.drain(false);
  }

  /** End of stream: whatever is held back is plain text. */
  end(): ThoughtPiece[] {
    return this.drain(true);
  }

  private drain(final: boolean): ThoughtPiece[] {
    const out: ThoughtPiece[] = [];
    while (this.buffer.length > 0) {
      const marker = this.insideThought ? this.format.close : this.format.open;
      const at = this.buffer.indexOf(marker);
      if (at >= 0) {
        this.emit(out, this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at + marker.length);
        this.insideThought = !this.insideThought;
        this.afterMarker = true;
        continue;
      }
      const held = final ? 0 : partialSuffix(this.buffer, marker);
      this.emit(out, this.buffer.slice(0, this.buffer.length - held));
      this.buffer = this.buffer.slice(this.buffer.length - held);
      break;
    }
    return out;
  }

  private emit(out: ThoughtPiece[], text: string): void {
    let t = text;
    if (this.afterMarker) {
      t = t.replace(/^\n+/, "");
      if (t.length === 0) return;
      this.afterMarker = false;
    }
    if (t.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.thought === this.insideThought) last.text += t;
    else out.push({ text: t, thought: this.insideThought });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(text.length, marker.length - 1); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/** Splits a whole text at once (for replies that arrive complete). */
export function splitThoughts(text: string, format: ThoughtFormat): ThoughtPiece[] {
  const s = new ThoughtSplitter(format);
  const pieces = [...s.push(text), ...s.end()];
  const out: ThoughtPiece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last && last.thought === p.thought) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}
