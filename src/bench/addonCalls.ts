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
  for (const [prefix, owner, field] of [["context", context, "_ctx"], ["model", model, "_model"]] as const) {
    const addon = addonOf(owner, field);
    // The addon's methods live on its native prototype as read-only properties, and the object
    // itself is passed to other native calls (a proxy there is an "Invalid argument"): each
    // method gets a counting own property, defined (not assigned) and deleted afterwards.
    const proto = Object.getPrototypeOf(addon) as AddonObject;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = Reflect.get(proto, name) as unknown;
      if (name === "constructor" || typeof value !== "function" || Object.prototype.hasOwnProperty.call(addon, name)) continue;
      const key = `${prefix}.${name}`;
      const method = value as (...a: unknown[]) => unknown;
      Object.defineProperty(addon, name, {
        configurable: true,
        writable: true,
        value(this: unknown, ...args: unknown[]) {
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return method.apply(this, args);
        },
      });
      restores.push(() => delete addon[name]);
    }
  }
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    restore: () => restores.forEach((r) => r()),
  };
}
