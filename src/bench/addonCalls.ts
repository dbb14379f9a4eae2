/**
 * Counts calls into node-llama-cpp's native addon for the count-based overhead figure: every
 * method of a context's and a model's addon objects is wrapped with a counter. These are
 * node-llama-cpp internals (`_ctx`, `_model`), used only by this benchmark and restored by
 * `restore()`; the figure is a count, so noise from other processes cannot move it.
 */
import type { LlamaContext, LlamaModel } from "node-llama-cpp";

export interface AddonCounter {
  /** Calls per method since the last reset, e.g. `context.decodeBatch`. */
  readonly counts: Map<string, number>;
  total(): number;
  reset(): void;
  restore(): void;
}

type AddonObject = Record<string, unknown>;

function addonOf(owner: unknown, field: string): AddonObject {
  const addon = (owner as Record<string, unknown>)[field];
  if (!addon || typeof addon !== "object") throw new Error(`node-llama-cpp internals changed: no ${field} on ${String((owner as object).constructor?.name)}`);
  return addon as AddonObject;
}

export function countAddonCalls(context: LlamaContext, model: LlamaModel): AddonCounter {
  const counts = new Map<string, number>();
  const restores: Array<() => void> = [];
  // The addon objects' methods are read-only: the owner's field is swapped for a counting proxy.
  for (const [prefix, owner, field] of [["context", context, "_ctx"], ["model", model, "_model"]] as const) {
    const holder = owner as unknown as Record<string, unknown>;
    const addon = addonOf(owner, field);
    holder[field] = new Proxy(addon, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== "function") return value;
        const key = `${prefix}.${String(name)}`;
        return (...args: unknown[]) => {
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    restores.push(() => (holder[field] = addon));
  }
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    restore: () => restores.forEach((r) => r()),
  };
}
