/**
 * The one `Llama` instance of this process: GPU when one works, CPU otherwise.
 * node-llama-cpp is ESM with top-level await, so it is loaded with a dynamic import.
 */
import type { Llama } from "node-llama-cpp";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import { RelayError, errorMessage } from "../core/errors.js";
import { chooseThreads } from "./threads.js";

export type GpuSetting = "auto" | "cpu" | "cuda" | "vulkan" | "metal";
export const GPU_SETTINGS: readonly GpuSetting[] = ["auto", "cpu", "cuda", "vulkan", "metal"];

export interface LlamaSetup {
  gpu?: GpuSetting;
  /** 0 or absent: choose automatically. */
  threads?: number;
  logger?: Logger;
}

export interface LlamaHandle {
  llama: Llama;
  threads: number;
  gpu: string | false;
}

let shared: Promise<LlamaHandle> | undefined;
let sharedKey = "";

export function nodeLlamaCpp(): Promise<typeof import("node-llama-cpp")> {
  return import("node-llama-cpp");
}

/** Returns the process-wide Llama, created on first use (a new GPU setting makes a new one). */
export function getSharedLlama(setup: LlamaSetup = {}): Promise<LlamaHandle> {
  const key = `${setup.gpu ?? "auto"}/${setup.threads ?? 0}`;
  if (!shared || key !== sharedKey) {
    sharedKey = key;
    shared = createLlama(setup);
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/**
 * Disposes the process-wide Llama (extension deactivation), after its models are disposed.
 * The next getSharedLlama() creates a new one.
 */
export async function disposeSharedLlama(): Promise<void> {
  const current = shared;
  shared = undefined;
  sharedKey = "";
  const handle = await current?.catch(() => undefined);
  await handle?.llama.dispose();
}

async function createLlama(setup: LlamaSetup): Promise<LlamaHandle> {
  const log = setup.logger ?? silentLogger;
  const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
  const gpu = setup.gpu ?? "auto";
  const common = {
    build: "never" as const,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger: (_level: unknown, message: string) => log.debug(`llama.cpp: ${message.trimEnd()}`),
  };
  const cpu = () =>
    getLlama({ ...common, gpu: false }).catch((error: unknown) => {
      throw new RelayError("model-load-failed", `llama.cpp could not start on this machine: ${errorMessage(error)}`, { cause: error });
    });
  let llama: Llama;
  if (gpu === "cpu") {
    llama = await cpu();
  } else {
    try {
      llama = await getLlama({ ...common, gpu });
    } catch (error) {
      log.warn(`GPU back-end "${gpu}" unavailable (${errorMessage(error)}); using the CPU.`);
      llama = await cpu();
    }
  }
  const threads = chooseThreads(llama.cpuMathCores, setup.threads);
  llama.maxThreads = threads;
  log.info(`llama.cpp ready: gpu=${llama.gpu || "none"}, threads=${threads} (math cores ${llama.cpuMathCores})`);
  return { llama, threads, gpu: llama.gpu };
}
