// Random-weight llama models of realistic size, for benchmarks: compute cost and memory traffic
// match a real model of the same shape; the text they generate is noise.
import { seededRandom } from "../core/random.js";
import {
  BASE_VOCAB_SIZE,
  SPACE_MARK,
  TokenType,
  constantValues,
  encodeTensorData,
  llamaBaseVocab,
  llamaMetadata,
  llamaTensors,
  tensorByteSize,
  tensorTypeBlock,
  writeGguf,
  type LlamaShape,
  type LlamaVocab,
  type TensorSource,
  type TensorType,
} from "./writer.js";

export interface RandomModelDims {
  vocab: number;
  embd: number;
  blocks: number;
  heads: number;
  headsKv: number;
  ffn: number;
  contextLength: number;
}

/**
 * Qwen3-0.6B's sizes on the llama architecture (head width embd/heads = 64, where Qwen3 uses
 * 128; tied output). Q8_0: 543 MB, written in ~1 s.
 */
export const QWEN3_0_6B_LIKE: Readonly<RandomModelDims> = Object.freeze({
  vocab: 151936,
  embd: 1024,
  blocks: 28,
  heads: 16,
  headsKv: 8,
  ffn: 3072,
  contextLength: 32768,
});

/** Small enough to write and load in well under a second. Q8_0: ~1.9 MB. */
export const SMALL: Readonly<RandomModelDims> = Object.freeze({
  vocab: 2048,
  embd: 256,
  blocks: 2,
  heads: 4,
  headsKv: 2,
  ffn: 512,
  contextLength: 4096,
});

export interface RandomModelOptions {
  type: "q8_0" | "f16" | "f32";
  seed: number;
  /** No output.weight; llama.cpp reuses token_embd (as Qwen3-0.6B does). Default true. */
  tiedOutput?: boolean;
}

const TENSOR_TYPE: Record<RandomModelOptions["type"], TensorType> = { q8_0: "Q8_0", f16: "F16", f32: "F32" };

// Weights ~ uniform with std 0.02 (a common init scale): with RMS norms before every sublayer
// activations stay O(1) through 28 blocks, and logits have std ~0.6 (no NaNs, no saturation).
const WEIGHT_STD = 0.02;
const POOL_VALUES = 1 << 20;
const WINDOW_BYTES = 1 << 18;

/**
 * The fixture vocabulary: the built-in tokens (specials, bytes, printable ASCII) then every
 * string over "▁" + a-z by increasing length (2, 3, ...), which are unique, never clash with
 * built-ins, and merge like a real SentencePiece vocabulary (every prefix is a token too).
 */
export function randomVocab(size: number): LlamaVocab {
  const vocab = llamaBaseVocab();
  if (size < BASE_VOCAB_SIZE) throw new Error(`vocab must be at least ${BASE_VOCAB_SIZE}`);
  const alphabet = [SPACE_MARK, ..."abcdefghijklmnopqrstuvwxyz"];
  let layer = alphabet.slice();
  outer: while (true) {
    const longer: string[] = [];
    for (const prefix of layer) {
      for (const ch of alphabet) {
        if (vocab.tokens.length >= size) break outer;
        const piece = prefix + ch;
        longer.push(piece);
        vocab.tokens.push(piece);
        // Earlier (shorter) pieces merge first, like SentencePiece log-probability scores.
        vocab.scores.push(-(vocab.tokens.length - BASE_VOCAB_SIZE));
        vocab.types.push(TokenType.NORMAL);
      }
    }
    layer = longer;
  }
  return vocab;
}

/** Writes a seeded random-weight llama model. Deterministic for a given (dims, options). */
export function writeRandomModel(path: string, dims: RandomModelDims, options: RandomModelOptions): { bytes: number; shape: LlamaShape } {
  const type = TENSOR_TYPE[options.type];
  const shape: LlamaShape = { ...dims };
  const rand = seededRandom(options.seed);

  // Random values are drawn once into a pool and encoded once; each chunk of each tensor is a
  // window of that pool at a random block-aligned offset. Drawing ~600M values in JS would take
  // minutes; this is bounded by disk speed.
  const values = new Float32Array(POOL_VALUES);
  const amplitude = WEIGHT_STD * Math.sqrt(3);
  for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * amplitude;
  const pool = encodeTensorData(type, values);
  const blockBytes = tensorTypeBlock(type).bytes;
  const poolBlocks = pool.length / blockBytes;
  const windowBytes = Math.floor(WINDOW_BYTES / blockBytes) * blockBytes;

  const randomData = (dimsOf: readonly number[]): TensorSource["data"] => ({
    *encoded() {
      for (let left = tensorByteSize(type, dimsOf); left > 0; ) {
        const n = Math.min(left, windowBytes);
        const start = Math.floor(rand() * (poolBlocks - n / blockBytes + 1)) * blockBytes;
        yield pool.subarray(start, start + n);
        left -= n;
      }
    },
  });

  const vocab = randomVocab(dims.vocab);
  const md = llamaMetadata("relay-random-test-model", shape, vocab, { tensorType: type, addBosToken: true, ropeFreqBase: 1e6 });
  const tensors = llamaTensors(shape, type, options.tiedOutput ?? true, (role, d) =>
    role === "norm" ? constantValues(d.reduce((a, b) => a * b, 1), 1) : randomData(d),
  );
  const { bytes } = writeGguf(path, md, tensors);
  return { bytes, shape };
}

/**
 * Llama 3.1 405B's shape on the llama architecture (Q8_0: ~430 GB): more than any machine here
 * can hold beside another model.
 */
export const HUGE_405B_LIKE: Readonly<RandomModelDims> = Object.freeze({
  vocab: 128256,
  embd: 16384,
  blocks: 126,
  heads: 128,
  headsKv: 8,
  ffn: 53248,
  contextLength: 131072,
});

/**
 * A model of this shape whose tensors are all holes in the file (sparse: no disk space, written
 * in a moment): a real GGUF header for what reads only the header (memory estimates, the checks
 * before a load); loading it would give zeros.
 */
export function writeShapeOnlyModel(path: string, dims: RandomModelDims, type: RandomModelOptions["type"] = "q8_0"): { bytes: number } {
  const tensorType = TENSOR_TYPE[type];
  const shape: LlamaShape = { ...dims };
  const md = llamaMetadata("relay-shape-only-model", shape, randomVocab(dims.vocab), { tensorType, addBosToken: true, ropeFreqBase: 1e6 });
  const tensors = llamaTensors(shape, tensorType, true, () => ({ sparse: true }) as const);
  return writeGguf(path, md, tensors);
}
