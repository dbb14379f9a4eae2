/**
 * Batches re-renders to at most one per animation frame: streaming text can arrive many times a
 * frame, and each render re-parses the whole answer.
 */
export interface Renderable {
  render(): void;
}

export class FrameScheduler {
  private readonly dirty = new Set<Renderable>();
  private handle: number | null = null;

  constructor(private readonly afterFlush: () => void = () => {}) {}

  request(item: Renderable): void {
    this.dirty.add(item);
    if (this.handle === null) this.handle = requestAnimationFrame(() => this.flush());
  }

  /** Renders `item` now (e.g. its final state), dropping any frame it was waiting for. */
  renderNow(item: Renderable): void {
    this.dirty.delete(item);
    item.render();
    this.afterFlush();
  }

  forget(item: Renderable): void {
    this.dirty.delete(item);
  }

  private flush(): void {
    this.handle = null;
    const items = [...this.dirty];
    this.dirty.clear();
    for (const item of items) item.render();
    this.afterFlush();
  }
}
