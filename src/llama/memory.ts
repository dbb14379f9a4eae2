/**
 * What a model would take in memory before it is loaded (node-llama-cpp's GGUF insights: weights
 * and a context of the given size, read from the file's header only), and what the machine has
 * free now.
 */
import type { MemoryAmounts } from "../core/memoryFit.js";
import { nodeLlamaCpp, type LlamaHandle } from "./llama.js";

export async function estimateModelMemory(handle: LlamaHandle, path: string, context: { contextSize: number; sequences: number }): Promise<MemoryAmounts> {
  const { readGgufFileInfo, GgufInsights } = await nodeLlamaCpp();
  const info = await readGgufFileInfo(path);
  const insights = await GgufInsights.from(info, handle.llama);
  const gpuLayers = handle.gpu ? insights.totalLayers : 0;
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const ctx = await insights.estimateContextResourceRequirementsV2({ contextSize: context.contextSize, sequences: context.sequences, modelGpuLayers: gpuLayers });
  return { ramBytes: model.cpuRam + ctx.cpuRam, vramBytes: model.gpuVram + ctx.gpuVram };
}

export async function freeMemory(handle: LlamaHandle): Promise<MemoryAmounts> {
  const ram = await handle.llama.getRamState();
  const vram = handle.gpu ? await handle.llama.getVramState() : { free: 0 };
  return { ramBytes: ram.free, vramBytes: vram.free };
}
