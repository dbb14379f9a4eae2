// A small GGUF v3 writer for test fixtures, plus the parts of a `llama`-architecture model that
// the scripted and random fixtures share (vocabulary base, metadata, tensor list).
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";

export const GGUF_ALIGNMENT = 32;

// ---------------------------------------------------------------------------------------------
// Metadata values

// gguf_type ids of the value kinds written here.
const KvType = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

export type MetaValue =
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "float32[]"; value: ArrayLike<number> }
  | { type: "int32[]"; value: ArrayLike<number> };

/** Shorthands for metadata values: `{"llama.block_count": meta.u32(1)}`. */
export const meta = {
  u32: (value: number): MetaValue => ({ type: "uint32", value }),
  i32: (value: number): MetaValue => ({ type: "int32", value }),
  f32: (value: number): MetaValue => ({ type: "float32", value }),
  bool: (value: boolean): MetaValue => ({ type: "bool", value }),
  str: (value: string): MetaValue => ({ type: "string", value }),
  strs: (value: readonly string[]): MetaValue => ({ type: "string[]", value }),
  f32s: (value: ArrayLike<number>): MetaValue => ({ type: "float32[]", value }),
  i32s: (value: ArrayLike<number>): MetaValue => ({ type: "int32[]", value }),
};

// ---------------------------------------------------------------------------------------------
// Tensor types and encoding

export type TensorType = "F32" | "F16" | "Q8_0";

interface TypeInfo {
  ggml: number; // ggml_type id
  blockElems: number;
  blockBytes: number;
}

const TYPES: Record<TensorType, TypeInfo> = {
  F32: { ggml: 0, blockElems: 1, blockBytes: 4 },
  F16: { ggml: 1, blockElems: 1, blockBytes: 2 },
  Q8_0: { ggml: 8, blockElems: 32, blockBytes: 34 }, // f16 scale + 32 x int8
};

/** Elements and bytes per block of a tensor type (1 element for F32/F16). */
export function tensorTypeBlock(type: TensorType): { elems: number; bytes: number } {
  return { elems: TYPES[type].blockElems, bytes: TYPES[type].blockBytes };
}

export function tensorByteSize(type: TensorType, dims: readonly number[]): number {
  const { blockElems, blockBytes } = TYPES[type];
  if (dims.length === 0 || dims.length > 4) throw new Error(`tensor must have 1..4 dims, got ${dims.length}`);
  for (const d of dims) if (!Number.isInteger(d) || d <= 0) throw new Error(`bad tensor dim ${d}`);
  // ggml quantizes along the innermost dimension only, so it must hold whole blocks.
  if (dims[0] % blockElems !== 0) throw new Error(`${type}: innermost dim ${dims[0]} is not a multiple of ${blockElems}`);
  return (dims.reduce((a, b) => a * b, 1) / blockElems) * blockBytes;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 binary16 bits of `v`, rounded to nearest even (what ggml's fp32->fp16 gives). */
export function toHalf(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

/** Encodes float values (innermost dim fastest) into `type`'s on-disk bytes. */
export function encodeTensorData(type: TensorType, values: Float32Array): Uint8Array {
  switch (type) {
    case "F32":
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case "F16": {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]);
      return new Uint8Array(out.buffer);
    }
    case "Q8_0": {
      if (values.length % 32 !== 0) throw new Error(`Q8_0 chunk length ${values.length} is not a multiple of 32`);
      const out = new Uint8Array((values.length / 32) * 34);
      const view = new DataView(out.buffer);
      for (let b = 0, o = 0; b < values.length; b += 32, o += 34) {
        let amax = 0;
        for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(values[b + i]));
        const d = amax / 127;
        const id = d !== 0 ? 1 / d : 0;
        view.setUint16(o, toHalf(d), true);
        // Like C roundf: halves away from zero.
        for (let i = 0; i < 32; i++) {
          const x = values[b + i] * id;
          view.setInt8(o + 2 + i, x < 0 ? -Math.round(-x) : Math.round(x));
        }
      }
      return out;
    }
  }
}

export interface TensorSource {
  name: string;
  /** GGUF order: innermost (contiguous) dim first, so a row-major [rows, cols] matrix is [cols, rows]. */
  dims: readonly number[];
  type: TensorType;
  /**
   * Produced lazily while writing, so a large file never sits in memory.
   * `values`: floats in storage order, encoded by the writer (Q8_0 chunks: multiples of 32).
   * `encoded`: bytes already in `type`'s layout (fast path for random fill).
   * `sparse`: all zeros, left as a hole in the file (no disk space, written instantly): a model
   * of any size whose header is real, for what reads only the header (memory estimates).
   */
  data: { values: () => Iterable<Float32Array> } | { encoded: () => Iterable<Uint8Array> } | { sparse: true };
}

// ---------------------------------------------------------------------------------------------
// Streaming file output

class FileSink {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  position = 0;
  /** Where the next flushed byte goes in the file (holes skipped with `skip`). */
  private fileOffset = 0;

  constructor(path: string) {
    this.fd = openSync(path, "w");
  }

  bytes(data: Uint8Array): void {
    if (data.length >= this.buf.length / 2) {
      // Large chunks skip the copy, after what is buffered so the order is kept.
      this.flush();
      this.writeAll(data);
    } else {
      if (data.length > this.buf.length - this.used) this.flush();
      this.buf.set(data, this.used);
      this.used += data.length;
    }
    this.position += data.length;
  }

  u32(v: number): void {
    this.scratch.setUint32(0, v, true);
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 4));
  }
  i32(v: number): void {
    this.scratch.setInt32(0, v, true);
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 4));
  }
  f32(v: number): void {
    this.scratch.setFloat32(0, v, true);
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 4));
  }
  u64(v: number): void {
    this.scratch.setBigUint64(0, BigInt(v), true);
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 8));
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.position % alignment)) % alignment;
    if (pad > 0) this.bytes(new Uint8Array(pad));
  }

  /** Leaves `n` zero bytes as a hole in the file. */
  skip(n: number): void {
    this.flush();
    this.fileOffset += n;
    this.position += n;
  }

  close(): void {
    try {
      this.flush();
      // A file that ends in a hole gets its full size.
      ftruncateSync(this.fd, this.position);
    } finally {
      closeSync(this.fd);
    }
  }

  private flush(): void {
    if (this.used > 0) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(data: Uint8Array): void {
    for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off, data.length - off, this.fileOffset + off);
    this.fileOffset += data.length;
  }
}

function writeKv(out: FileSink, key: string, v: MetaValue): void {
  out.str(key);
  const array = (elemType: number, n: number): void => {
    out.u32(KvType.ARRAY);
    out.u32(elemType);
    out.u64(n);
  };
  switch (v.type) {
    case "uint32":
      if (!Number.isInteger(v.value) || v.value < 0 || v.value > 0xffffffff) throw new Error(`${key}: not a uint32`);
      out.u32(KvType.UINT32);
      out.u32(v.value);
      break;
    case "int32":
      out.u32(KvType.INT32);
      out.i32(v.value);
      break;
    case "float32":
      out.u32(KvType.FLOAT32);
      out.f32(v.value);
      break;
    case "bool":
      out.u32(KvType.BOOL);
      out.bytes(new Uint8Array([v.value ? 1 : 0]));
      break;
    case "string":
      out.u32(KvType.STRING);
      out.str(v.value);
      break;
    case "string[]":
      array(KvType.STRING, v.value.length);
      for (const s of v.value) out.str(s);
      break;
    case "float32[]":
      array(KvType.FLOAT32, v.value.length);
      out.bytes(new Uint8Array(Float32Array.from(v.value).buffer));
      break;
    case "int32[]":
      array(KvType.INT32, v.value.length);
      out.bytes(new Uint8Array(Int32Array.from(v.value).buffer));
      break;
  }
}

/**
 * Writes a GGUF v3 file, streaming tensor data. `general.alignment` is always 32 and is added
 * to the metadata unless given. On error the partial file is left for the caller to delete
 * (see cache.ts, which writes to a temp name and renames).
 */
export function writeGguf(path: string, metadata: Record<string, MetaValue>, tensors: readonly TensorSource[]): { bytes: number } {
  const kvs = Object.entries(metadata);
  const alignment = metadata["general.alignment"];
  if (alignment === undefined) kvs.push(["general.alignment", meta.u32(GGUF_ALIGNMENT)]);
  else if (alignment.type !== "uint32" || alignment.value !== GGUF_ALIGNMENT) throw new Error(`general.alignment must be uint32 ${GGUF_ALIGNMENT}`);

  const names = new Set<string>();
  let offset = 0;
  const layout = tensors.map((t) => {
    if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
    names.add(t.name);
    const size = tensorByteSize(t.type, t.dims);
    const entry = { tensor: t, offset, size };
    offset += Math.ceil(size / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
    return entry;
  });

  const out = new FileSink(path);
  try {
    out.bytes(Buffer.from("GGUF", "ascii"));
    out.u32(3);
    out.u64(tensors.length);
    out.u64(kvs.length);
    for (const [key, value] of kvs) writeKv(out, key, value);
    for (const { tensor, offset: tensorOffset } of layout) {
      out.str(tensor.name);
      out.u32(tensor.dims.length);
      for (const d of tensor.dims) out.u64(d);
      out.u32(TYPES[tensor.type].ggml);
      out.u64(tensorOffset);
    }
    out.padTo(GGUF_ALIGNMENT);
    for (const { tensor, size } of layout) {
      const start = out.position;
      if ("sparse" in tensor.data) {
        out.skip(size);
        out.padTo(GGUF_ALIGNMENT);
        continue;
      }
      const chunks = "values" in tensor.data
        ? mapIterable(tensor.data.values(), (v) => encodeTensorData(tensor.type, v))
        : tensor.data.encoded();
      for (const chunk of chunks) {
        out.bytes(chunk);
        if (out.position - start > size) throw new Error(`${tensor.name}: more data than its ${size} bytes`);
      }
      if (out.position - start !== size) throw new Error(`${tensor.name}: wrote ${out.position - start} of ${size} bytes`);
      out.padTo(GGUF_ALIGNMENT);
    }
  } finally {
    out.close();
  }
  return { bytes: out.position };
}

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}

// ---------------------------------------------------------------------------------------------
// `llama` architecture pieces shared by the scripted and random fixtures

/** SentencePiece marks a space as U+2581 inside token texts. */
export const SPACE_MARK = "\u2581";

/** llama.cpp token types (tokenizer.ggml.token_type). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, BYTE: 6 } as const;

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
/** `<0xNN>` is token BYTE_BASE_ID + NN. */
export const BYTE_BASE_ID = 3;
/** Printable ASCII char c (0x20..0x7E) is token CHAR_BASE_ID + (c - 0x20); the space is stored as "▁". */
export const CHAR_BASE_ID = BYTE_BASE_ID + 256;
export const FIRST_PRINTABLE = 0x20;
export const LAST_PRINTABLE = 0x7e;
/** First id after the built-in vocabulary (unk, bos, eos, 256 bytes, 95 printable chars). */
export const BASE_VOCAB_SIZE = CHAR_BASE_ID + (LAST_PRINTABLE - FIRST_PRINTABLE + 1);

export interface LlamaVocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

export function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/**
 * The built-in vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte tokens (llama.cpp aborts the
 * process on load without them) and one normal token per printable ASCII char, so ASCII text
 * tokenizes to one token per char (control chars such as "\n" fall back to their byte token).
 */
export function llamaBaseVocab(): LlamaVocab {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(byteTokenText(b));
    types.push(TokenType.BYTE);
  }
  for (let c = FIRST_PRINTABLE; c <= LAST_PRINTABLE; c++) {
    tokens.push(c === 0x20 ? SPACE_MARK : String.fromCharCode(c));
    types.push(TokenType.NORMAL);
  }
  return { tokens, scores: tokens.map(() => 0), types };
}

export interface LlamaShape {
  vocab: number;
  embd: number;
  blocks: number;
  heads: number;
  headsKv: number;
  /** Per-head width; defaults to embd / heads (llama.attention.key_length/value_length). */
  headDim?: number;
  ffn: number;
  contextLength: number;
}

// general.file_type (llama_ftype) for a model whose big tensors are all of one type.
const FILE_TYPE: Record<TensorType, number> = { F32: 0, F16: 1, Q8_0: 7 };

/**
 * `llama`, or `qwen3` (the llama layout plus a per-head RMS norm of Q and K, as Qwen3 models
 * have): node-llama-cpp picks some chat wrappers by architecture (Qwen's only for qwen*).
 */
export type Architecture = "llama" | "qwen3";

export interface MetadataOptions {
  tensorType: TensorType;
  addBosToken: boolean;
  ropeFreqBase?: number;
  architecture?: Architecture;
  /** tokenizer.ggml.eos_token_id; default EOS_ID (`</s>`). */
  eosId?: number;
  /** tokenizer.chat_template (Jinja), e.g. a real model's. */
  chatTemplate?: string;
}

export function llamaMetadata(name: string, shape: LlamaShape, vocab: LlamaVocab, opts: MetadataOptions): Record<string, MetaValue> {
  if (vocab.tokens.length !== shape.vocab) throw new Error(`vocabulary has ${vocab.tokens.length} tokens, shape says ${shape.vocab}`);
  // llama.cpp asserts (aborting the process) that token texts are unique.
  if (new Set(vocab.tokens).size !== vocab.tokens.length) throw new Error("duplicate token texts");
  const arch = opts.architecture ?? "llama";
  const md: Record<string, MetaValue> = {
    "general.architecture": meta.str(arch),
    "general.name": meta.str(name),
    "general.file_type": meta.u32(FILE_TYPE[opts.tensorType]),
    [`${arch}.context_length`]: meta.u32(shape.contextLength),
    [`${arch}.embedding_length`]: meta.u32(shape.embd),
    [`${arch}.block_count`]: meta.u32(shape.blocks),
    [`${arch}.feed_forward_length`]: meta.u32(shape.ffn),
    [`${arch}.attention.head_count`]: meta.u32(shape.heads),
    [`${arch}.attention.head_count_kv`]: meta.u32(shape.headsKv),
    [`${arch}.attention.layer_norm_rms_epsilon`]: meta.f32(1e-6),
    [`${arch}.vocab_size`]: meta.u32(shape.vocab),
  };
  if (shape.headDim !== undefined) {
    md[`${arch}.attention.key_length`] = meta.u32(shape.headDim);
    md[`${arch}.attention.value_length`] = meta.u32(shape.headDim);
  }
  if (opts.ropeFreqBase !== undefined) md[`${arch}.rope.freq_base`] = meta.f32(opts.ropeFreqBase);
  Object.assign(md, {
    "tokenizer.ggml.model": meta.str("llama"),
    "tokenizer.ggml.tokens": meta.strs(vocab.tokens),
    "tokenizer.ggml.scores": meta.f32s(vocab.scores),
    "tokenizer.ggml.token_type": meta.i32s(vocab.types),
    "tokenizer.ggml.bos_token_id": meta.u32(BOS_ID),
    "tokenizer.ggml.eos_token_id": meta.u32(opts.eosId ?? EOS_ID),
    "tokenizer.ggml.unknown_token_id": meta.u32(UNK_ID),
    "tokenizer.ggml.add_bos_token": meta.bool(opts.addBosToken),
    "tokenizer.ggml.add_eos_token": meta.bool(false),
    // No implicit leading space: detokenize(tokenize(x)) === x.
    "tokenizer.ggml.add_space_prefix": meta.bool(false),
  } satisfies Record<string, MetaValue>);
  if (opts.chatTemplate !== undefined) md["tokenizer.chat_template"] = meta.str(opts.chatTemplate);
  return md;
}

export type LlamaTensorRole = "embedding" | "norm" | "attention" | "ffn" | "output";

/**
 * The tensor list of a `llama` model. `data(role, dims)` supplies each tensor's contents;
 * norms are always F32 (as llama.cpp's converters write them). With `tiedOutput` there is no
 * `output.weight` and llama.cpp reuses the token embedding (as Qwen3-0.6B does).
 */
export function llamaTensors(
  shape: LlamaShape,
  type: TensorType,
  tiedOutput: boolean,
  data: (role: LlamaTensorRole, dims: readonly number[]) => TensorSource["data"],
  architecture: Architecture = "llama",
): TensorSource[] {
  const headDim = shape.headDim ?? shape.embd / shape.heads;
  if (!Number.isInteger(headDim)) throw new Error(`embd ${shape.embd} is not divisible by heads ${shape.heads}`);
  if (shape.heads % shape.headsKv !== 0) throw new Error("heads must be a multiple of headsKv");
  const q = shape.heads * headDim;
  const kv = shape.headsKv * headDim;
  const t = (name: string, role: LlamaTensorRole, dims: number[]): TensorSource => ({
    name,
    dims,
    type: role === "norm" ? "F32" : type,
    data: data(role, dims),
  });
  const list = [t("token_embd.weight", "embedding", [shape.embd, shape.vocab]), t("output_norm.weight", "norm", [shape.embd])];
  if (!tiedOutput) list.push(t("output.weight", "output", [shape.embd, shape.vocab]));
  for (let i = 0; i < shape.blocks; i++) {
    const b = `blk.${i}.`;
    list.push(
      t(`${b}attn_norm.weight`, "norm", [shape.embd]),
      t(`${b}attn_q.weight`, "attention", [shape.embd, q]),
      t(`${b}attn_k.weight`, "attention", [shape.embd, kv]),
      t(`${b}attn_v.weight`, "attention", [shape.embd, kv]),
      t(`${b}attn_output.weight`, "attention", [q, shape.embd]),
      ...(architecture === "qwen3" ? [t(`${b}attn_q_norm.weight`, "norm", [headDim]), t(`${b}attn_k_norm.weight`, "norm", [headDim])] : []),
      t(`${b}ffn_norm.weight`, "norm", [shape.embd]),
      t(`${b}ffn_gate.weight`, "ffn", [shape.embd, shape.ffn]),
      t(`${b}ffn_up.weight`, "ffn", [shape.embd, shape.ffn]),
      t(`${b}ffn_down.weight`, "ffn", [shape.ffn, shape.embd]),
    );
  }
  return list;
}

/** Data source that yields `count` elements of one constant value, in reusable chunks. */
export function constantValues(count: number, value: number, chunk = 1 << 16): TensorSource["data"] {
  return {
    *values() {
      const buf = new Float32Array(Math.min(count, chunk)).fill(value);
      for (let left = count; left > 0; left -= buf.length) yield left >= buf.length ? buf : buf.subarray(0, left);
    },
  };
}
