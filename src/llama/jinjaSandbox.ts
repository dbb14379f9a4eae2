/**
 * A model file's chat template is code from the internet: node-llama-cpp renders it (Jinja, with
 * @huggingface/jinja) synchronously, in this process, with no limit — a template looping
 * `range(999999999)` took the process down (V8 out of memory), nested loops hung it. Here every
 * render runs in a worker thread with limits, and the caller waits for it synchronously (Atomics
 * on a shared buffer), as node-llama-cpp's synchronous rendering needs:
 *
 * - steps: each evaluated node of the template counts; a render past `steps` stops;
 * - range(): a range of more than `rangeItems` numbers is refused before it is made;
 * - size: a string or list past `outputChars` characters / `rangeItems` items stops the render,
 *   and so does a result longer than `outputChars`;
 * - memory: the worker's heap is capped (`heapMb`): a template that allocates past it kills the
 *   worker, never the process;
 * - time: a render that has not answered after `renderMs` is stopped (the worker is terminated
 *   and a new one started for the next render); `loadMs` bounds all renders of one model load.
 *
 * A template that breaks a limit is marked: every later render of it fails at once with the
 * same reason, and loading a model with it fails naming the model (src/llama/chatFormat.ts).
 * node-llama-cpp's renderer is routed here by `installJinjaSandbox` (its renderer class has no
 * option for it); a template the JavaScript engine cannot parse is not handed to llama.cpp's
 * native engine in this process, which could not be stopped either: node-llama-cpp then picks a
 * chat format by the template's markers, as it does when no engine can read it.
 */
import { createRequire } from "node:module";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { BIDI_CONTROLS } from "../core/hiddenText.js";

export interface JinjaLimits {
  /** Evaluated template nodes per render. */
  steps: number;
  /** Numbers one range() may make; items a list may hold. */
  rangeItems: number;
  /** Characters a string, and the rendered prompt, may have. */
  outputChars: number;
  /** The worker's heap (MB). */
  heapMb: number;
  /** Wall-clock time one render may take (ms); the worker's start-up is allowed on top. */
  renderMs: number;
  /** Wall-clock time all renders of one model load may take together (ms). */
  loadMs: number;
}

/**
 * The product's limits. A real template renders a long conversation in a few thousand steps
 * (Qwen3's, 100 messages and 20 tools: 6,333 steps, 62 ms on a busy 2-core machine; resolving
 * its chat format renders it ~1,000 times, 0.5 s in all): these are tens to hundreds of times
 * that. The JavaScript engine takes ~10 µs a step, so the step limit, not the clock, stops a
 * looping template, with the same reason on every machine.
 */
export const DEFAULT_JINJA_LIMITS: JinjaLimits = {
  steps: 250_000,
  rangeItems: 100_000,
  outputChars: 4_000_000,
  heapMb: 256,
  renderMs: 5_000,
  loadMs: 30_000,
};

/** A template that broke a limit (or could not be rendered in the sandbox at all). */
export class JinjaLimitError extends Error {
  constructor(readonly reason: string) {
    super(`the chat template ${reason}`);
    this.name = "JinjaLimitError";
  }
}

/** The worker: @huggingface/jinja with a step counter, a capped range() and size checks. Plain CommonJS, run with `eval`. */
const WORKER_SOURCE = String.raw`
const { workerData } = require("node:worker_threads");
const { Template, Interpreter, Environment } = require(workerData.jinja);
const { port, flag, limits } = workerData;
const signal = new Int32Array(flag);
class Limit extends Error {}
let steps = 0;
const evaluate = Interpreter.prototype.evaluate;
Interpreter.prototype.evaluate = function (statement, environment) {
  if (++steps > limits.steps) throw new Limit("ran more than " + limits.steps + " steps");
  const value = evaluate.call(this, statement, environment);
  const inner = value && value.value;
  if (typeof inner === "string" && inner.length > limits.outputChars) throw new Limit("made a text of " + inner.length + " characters (the limit is " + limits.outputChars + ")");
  if (Array.isArray(inner) && inner.length > limits.rangeItems) throw new Limit("made a list of " + inner.length + " items (the limit is " + limits.rangeItems + ")");
  return value;
};
// The builtin range(), counted before anything is made.
function range(start, stop, step) {
  if (step === undefined) step = 1;
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new Error("range() step must not be zero");
  const count = Math.ceil((stop - start) / step);
  if (!(count <= limits.rangeItems)) {
    if (Number.isFinite(count) && count <= 0) return [];
    throw new Limit("asked range() for " + (Number.isFinite(count) ? count : String(count)) + " numbers (the limit is " + limits.rangeItems + ")");
  }
  const result = [];
  if (step > 0) for (let i = start; i < stop; i += step) result.push(i);
  else for (let i = start; i > stop; i += step) result.push(i);
  return result;
}
// Every render's globals get this range() in place of the builtin.
const set = Environment.prototype.set;
Environment.prototype.set = function (name, value) {
  return set.call(this, name, name === "range" && typeof value === "function" && !this.variables.has(name) ? range : value);
};
const parsed = new Map();
port.on("message", ({ id, template, items }) => {
  let reply;
  try {
    let compiled = parsed.get(template);
    if (compiled === undefined) {
      try { compiled = new Template(template); } catch (error) { compiled = error instanceof Error ? error : new Error(String(error)); }
      if (parsed.size >= 8) parsed.delete(parsed.keys().next().value);
      parsed.set(template, compiled);
    }
    if (compiled instanceof Error) throw compiled;
    steps = 0;
    const text = compiled.render(items);
    if (typeof text === "string" && text.length > limits.outputChars) throw new Limit("rendered " + text.length + " characters (the limit is " + limits.outputChars + ")");
    reply = { id, ok: true, text };
  } catch (error) {
    const limit = error instanceof Limit || error instanceof RangeError;
    reply = { id, ok: false, limit, message: error instanceof RangeError ? "failed: " + error.message : String(error && error.message !== undefined ? error.message : error) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, id);
  Atomics.notify(signal, 0);
});
`;

interface Reply {
  id: number;
  ok: boolean;
  text?: string;
  limit?: boolean;
  message?: string;
}

/** Where @huggingface/jinja is, for the worker (from source, the CLI bundle and the extension bundle alike). */
function jinjaPath(): string {
  return createRequire(import.meta.url).resolve("@huggingface/jinja");
}

/** Renders templates in a worker with limits; `render` is synchronous. One per process (`jinjaSandbox()`). */
export class JinjaSandbox {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private flag: Int32Array | undefined;
  /** The worker has answered once (a new one is allowed its start-up time). */
  private ready = false;
  private nextId = 0;
  /** Templates that broke a limit, with the reason: they fail at once from then on. */
  private readonly tripped = new Map<string, string>();
  /** Why workers ended on their own (e.g. ERR_WORKER_OUT_OF_MEMORY), the last few: for diagnostics. */
  readonly workerErrors: string[] = [];
  /** While a model loads: when its renders must be done by. */
  private loadDeadline: number | undefined;

  /**
   * `spin`: wait by spinning on the flag rather than Atomics.wait (chosen by itself where
   * Atomics.wait throws; tests set it to run that path).
   */
  constructor(
    readonly limits: JinjaLimits = DEFAULT_JINJA_LIMITS,
    private spin = false,
  ) {}

  /** The reason `template` was stopped, when it was. */
  trippedReason(template: string): string | undefined {
    return this.tripped.get(template);
  }

  /** Runs `fn` (a model load) with all its renders bounded by `loadMs` together. */
  duringLoad<T>(fn: () => T): T {
    const outer = this.loadDeadline;
    this.loadDeadline = Date.now() + this.limits.loadMs;
    try {
      return fn();
    } finally {
      this.loadDeadline = outer;
    }
  }

  /** `template` rendered with `items`; throws JinjaLimitError when a limit is broken, an Error when the template fails. */
  render(template: string, items: Record<string, unknown>): string {
    const known = this.tripped.get(template);
    if (known !== undefined) throw new JinjaLimitError(known);
    if (template.length > this.limits.outputChars) return this.trip(template, `is ${template.length} characters long (the limit is ${this.limits.outputChars})`);
    const now = Date.now();
    if (this.loadDeadline !== undefined && now >= this.loadDeadline) return this.trip(template, `took more than ${seconds(this.limits.loadMs)} to render while the model loaded`);
    const { port, flag } = this.start();
    const id = ++this.nextId;
    // A worker that is still starting gets its start-up time on top (a loaded machine: seconds).
    const boot = this.ready ? 0 : 10_000;
    const deadline = Math.min(now + this.limits.renderMs + boot, this.loadDeadline === undefined ? Infinity : this.loadDeadline + boot);
    port.postMessage({ id, template, items });
    for (;;) {
      const seen = Atomics.load(flag, 0);
      if (seen === id) break;
      const left = deadline - Date.now();
      if (left <= 0 || this.wait(flag, seen, left) === "timed-out") {
        if (Atomics.load(flag, 0) === id) break;
        this.stop();
        const load = this.loadDeadline !== undefined && deadline >= this.loadDeadline;
        return this.trip(template, load ? `took more than ${seconds(this.limits.loadMs)} to render while the model loaded (or needed more than ${this.limits.heapMb} MB)` : `took more than ${seconds(this.limits.renderMs)} to render (or needed more than ${this.limits.heapMb} MB)`);
      }
    }
    this.ready = true;
    const reply = receiveMessageOnPort(port)?.message as Reply | undefined;
    if (reply?.id !== id) {
      this.stop();
      throw new Error("the chat template sandbox lost a reply");
    }
    if (reply.ok) return reply.text ?? "";
    if (reply.limit) return this.trip(template, shown(reply.message ?? "broke a limit"));
    // node-llama-cpp prints a template's errors (they may quote the template) to the console.
    throw new Error(shown(reply.message ?? "failed"));
  }

  /**
   * Blocks until the flag changes or `ms` pass. Where this thread may not block on Atomics (a
   * host that forbids it on its main thread), it spins on the flag instead: renders take
   * milliseconds, and the deadline bounds the rest.
   */
  private wait(flag: Int32Array, seen: number, ms: number): "ok" | "not-equal" | "timed-out" {
    if (!this.spin) {
      try {
        return Atomics.wait(flag, 0, seen, ms);
      } catch {
        this.spin = true;
      }
    }
    const until = Date.now() + ms;
    while (Atomics.load(flag, 0) === seen) if (Date.now() >= until) return "timed-out";
    return "ok";
  }

  /** Stops the worker (a new one starts on the next render). */
  stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.port?.close();
    this.port = undefined;
    void worker?.terminate();
  }

  private trip(template: string, reason: string): never {
    this.tripped.set(template, reason);
    throw new JinjaLimitError(reason);
  }

  private start(): { port: MessagePort; flag: Int32Array } {
    if (this.worker && this.port && this.flag) return { port: this.port, flag: this.flag };
    const channel = new MessageChannel();
    const shared = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags (tsx's loader, inspector ports): a bare Node with a capped heap.
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(this.limits.heapMb / 8)), stackSizeMb: 4 },
      workerData: { jinja: jinjaPath(), port: channel.port2, flag: shared, limits: this.limits },
      transferList: [channel.port2],
    });
    // An idle worker does not keep the process alive; its failures come back as render failures.
    worker.unref();
    worker.on("error", (error: Error & { code?: string }) => {
      this.workerErrors.push(`${error.code ?? error.name}: ${error.message}`);
      if (this.workerErrors.length > 5) this.workerErrors.shift();
    });
    channel.port1.unref();
    this.worker = worker;
    this.port = channel.port1;
    this.flag = new Int32Array(shared);
    return { port: this.port, flag: this.flag };
  }
}

const CONTROL = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]`, "g");

/** A template's error text with its control and bidi characters as escapes (it may quote the template). */
function shown(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

let shared: JinjaSandbox | undefined;

/** The process's sandbox. */
export function jinjaSandbox(): JinjaSandbox {
  shared ??= new JinjaSandbox();
  return shared;
}
