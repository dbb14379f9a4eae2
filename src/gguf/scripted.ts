// A deterministic "scripted" llama model: greedy decoding follows a declared token chain.
//
// How: one-hot token embeddings (embedding width >= vocabulary), all attention and FFN weights
// zero (so the residual stream at the last position is just that token's one-hot vector), and an
// output matrix with weight 1 at [next(t), t]. After the final RMS norm the logit of next(t) is
// sqrt(embd) (>= ~19) and every other logit is 0, whatever came before in the prompt.
//
// Vocabulary (ids are fixed, see the constants re-exported below):
//   0 `<unk>` (unknown), 1 `<s>` (control, BOS), 2 `</s>` (control, EOS),
//   3..258 the byte tokens `<0x00>`..`<0xFF>` (id 3 + byte),
//   259..353 the printable ASCII chars 0x20..0x7E (id 259 + code - 0x20; the space is stored as "▁"),
//   354.. the spec's `pieces`, in order.
//
// Tokenization rules (llama.cpp SentencePiece tokenizer, add_space_prefix = false):
// - model.tokenize() never adds BOS (node-llama-cpp calls llama.cpp with add_special = false);
//   add_bos_token (default true) only drives `model.tokens.shouldPrependBosToken`.
// - Each printable ASCII char becomes its own char token; "\n", "\t" and other ASCII control
//   chars become their byte token (`\n` = `<0x0A>` = id 13); non-ASCII chars become one byte
//   token per UTF-8 byte unless a piece spells them. detokenize(tokenize(x)) === x for any text.
// - Scores cannot prevent merges: the tokenizer merges ANY adjacent pair of symbols whose
//   concatenation is a token (scores only order competing merges), starting from single chars.
//   So a 2-char piece is produced wherever its two chars are adjacent in the text, and a longer
//   piece only where it splits into two tokens that are themselves produced (e.g. pieces "ab"
//   and "abc"). All pieces score 0: among competing merges the leftmost wins. Rule of thumb:
//   with pieces of 3+ chars none of whose parts are pieces, text tokenizes char by char.
//   Feed token ids directly to sidestep the question.
// - detokenize([id]) is "" for `<unk>`, `<s>`, `</s>`; " " for the "▁" token; the raw byte
//   for a byte token (U+FFFD if >= 0x80); the piece text (with "▁" shown as " ") for a piece.
import {
  BASE_VOCAB_SIZE,
  BOS_ID,
  BYTE_BASE_ID,
  CHAR_BASE_ID,
  EOS_ID,
  FIRST_PRINTABLE,
  LAST_PRINTABLE,
  SPACE_MARK,
  TokenType,
  UNK_ID,
  constantValues,
  llamaBaseVocab,
  llamaMetadata,
  llamaTensors,
  writeGguf,
  type Architecture,
  type LlamaShape,
  type MetaValue,
  type TensorSource,
} from "./writer.js";
import type { Token } from "node-llama-cpp";

export { BASE_VOCAB_SIZE, BOS_ID, BYTE_BASE_ID, CHAR_BASE_ID, EOS_ID, SPACE_MARK, UNK_ID };
/** Id of the first spec piece. */
export const FIRST_PIECE_ID = BASE_VOCAB_SIZE;

export interface ScriptedModelSpec {
  /** Extra normal tokens, as plain text (a space may be written " " or "▁"); unique, multi-char or non-ASCII. */
  pieces: string[];
  /** Greedy next-token chain; tokens are named as accepted by `ScriptedModel.id`. */
  transitions: Array<[from: string, to: string]>;
  /** The next token for every token not listed as a `from` (so any prompt starts the script). */
  defaultNext: string;
  /** Default 4096. */
  contextLength?: number;
  /** tokenizer.ggml.add_bos_token; default true. Never changes what model.tokenize() returns. */
  addBosToken?: boolean;
  /**
   * Top-1 probability wanted for the transition out of a token (default ≈ 1): lets a test
   * make the student "unsure" at a known place for confidence-based policies.
   */
  confidence?: Record<string, number>;
  /**
   * Extra tokens with a special type, after the pieces: `control` (e.g. `<|im_start|>`: only
   * parsed in text tokenized with special tokens, detokenized to "" unless asked) or
   * `user-defined` (e.g. Qwen3's `<think>`: always matched, always shown).
   */
  specialTokens?: Array<{ text: string; type: "control" | "user-defined" }>;
  /** The end-of-sequence token by name (default `</s>`), e.g. `<|im_end|>`. */
  eos?: string;
  /** tokenizer.chat_template: a real model's Jinja template. */
  chatTemplate?: string;
  /** Default `llama`; `qwen3` for wrappers node-llama-cpp picks by architecture. */
  architecture?: Architecture;
  /** general.name (node-llama-cpp also reads it to guess a chat format). */
  name?: string;
  /** Metadata written over the generated entries (e.g. a malformed value, for failure tests). */
  metadata?: Record<string, MetaValue>;
}

export interface ScriptedModel {
  /** Token texts as stored in the GGUF (spaces as "▁"). */
  readonly tokens: readonly string[];
  /** tokenizer.ggml.token_type of each token. */
  readonly types: readonly number[];
  /** The end-of-sequence token's id. */
  readonly eos: Token;
  readonly vocabSize: number;
  readonly embeddingLength: number;
  /** next[id] is the token greedy decoding emits after a prompt ending in `id`. */
  readonly next: readonly Token[];
  /**
   * Token id of a name: "<unk>", "<s>", "</s>", "<0xNN>" (byte token, hex), a single ASCII char
   * (" " or "▁" is the space token; control chars map to their byte token, as the tokenizer
   * does), or a spec piece (spaces as " " or "▁"). Throws for anything else.
   */
  id(name: string): Token;
  ids(names: readonly string[]): Token[];
  /** The ids model.tokenize(text) gives for ASCII text that spells no piece: one per char. */
  charIds(text: string): Token[];
  /** What model.detokenize([id]) returns ("\uFFFD" for a lone byte token >= 0x80). */
  text(id: number): string;
  /**
   * The tokens greedy decoding emits after a prompt ending in `from`, up to and including
   * `</s>`, or `maxTokens` of them if the chain loops (default: vocabulary size + 1).
   */
  chain(from: string | number, maxTokens?: number): Token[];
}

const BYTE_NAME = /^<0x([0-9A-Fa-f]{2})>$/;
const SPECIALS: Record<string, number> = { "<unk>": UNK_ID, "<s>": BOS_ID, "</s>": EOS_ID };
const toStored = (text: string): string => text.replaceAll(" ", SPACE_MARK);

/** Builds the vocabulary and chain of a spec without writing anything (cheap). */
export function buildScriptedModel(spec: ScriptedModelSpec): ScriptedModel {
  const vocab = llamaBaseVocab();
  const pieceIds = new Map<string, number>();
  for (const piece of spec.pieces) {
    const stored = toStored(piece);
    if (stored.length === 0) throw new Error("empty piece");
    if (pieceIds.has(stored)) throw new Error(`duplicate piece ${JSON.stringify(piece)}`);
    if (vocab.tokens.includes(stored) || builtinId(stored) !== undefined) throw new Error(`piece ${JSON.stringify(piece)} clashes with a built-in token`);
    pieceIds.set(stored, vocab.tokens.length);
    vocab.tokens.push(stored);
    vocab.scores.push(0);
    vocab.types.push(TokenType.NORMAL);
  }
  for (const special of spec.specialTokens ?? []) {
    if (pieceIds.has(special.text) || vocab.tokens.includes(special.text)) throw new Error(`duplicate token ${JSON.stringify(special.text)}`);
    pieceIds.set(special.text, vocab.tokens.length);
    vocab.tokens.push(special.text);
    vocab.scores.push(0);
    vocab.types.push(special.type === "control" ? TokenType.CONTROL : TokenType.USER_DEFINED);
  }

  const id = (name: string): Token => {
    const stored = toStored(name);
    const found = builtinId(stored) ?? pieceIds.get(stored);
    if (found === undefined) throw new Error(`unknown token name ${JSON.stringify(name)}`);
    return found as Token;
  };

  const vocabSize = vocab.tokens.length;
  const eos = spec.eos === undefined ? (EOS_ID as Token) : id(spec.eos);
  const next = new Array<Token>(vocabSize).fill(id(spec.defaultNext));
  const declared = new Set<number>();
  for (const [from, to] of spec.transitions) {
    const f = id(from);
    // A token has one successor; a script that revisits a token needs a distinct piece per visit.
    if (declared.has(f)) throw new Error(`transition from ${JSON.stringify(from)} declared twice`);
    declared.add(f);
    next[f] = id(to);
  }

  const text = (tokenId: number): string => {
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= vocabSize) throw new Error(`token id ${tokenId} out of range`);
    if (tokenId < BYTE_BASE_ID || vocab.types[tokenId] === TokenType.CONTROL) return "";
    if (tokenId < CHAR_BASE_ID) {
      const byte = tokenId - BYTE_BASE_ID;
      // A lone byte >= 0x80 is not valid UTF-8; node-llama-cpp decodes it to U+FFFD.
      return byte < 0x80 ? String.fromCharCode(byte) : "\uFFFD";
    }
    return vocab.tokens[tokenId].replaceAll(SPACE_MARK, " ");
  };

  return {
    tokens: vocab.tokens,
    types: vocab.types,
    eos,
    vocabSize,
    embeddingLength: embeddingLength(vocabSize),
    next,
    id,
    ids: (names) => names.map(id),
    charIds: (s) => Array.from(s, (ch) => {
      if (ch.length !== 1 || ch.charCodeAt(0) > 0x7f) throw new Error(`charIds: ${JSON.stringify(ch)} is not ASCII`);
      return id(ch);
    }),
    text,
    chain(from, maxTokens = vocabSize + 1) {
      const out: Token[] = [];
      let t = typeof from === "number" ? (from as Token) : id(from);
      while (out.length < maxTokens && t !== eos) {
        t = next[t];
        out.push(t);
      }
      return out;
    },
  };

  function builtinId(stored: string): number | undefined {
    if (stored in SPECIALS) return SPECIALS[stored];
    const byte = BYTE_NAME.exec(stored);
    if (byte) return BYTE_BASE_ID + parseInt(byte[1], 16);
    if (stored === SPACE_MARK) return CHAR_BASE_ID;
    if (stored.length === 1) {
      const c = stored.charCodeAt(0);
      if (c >= FIRST_PRINTABLE && c <= LAST_PRINTABLE) return CHAR_BASE_ID + (c - FIRST_PRINTABLE);
      if (c < 0x80) return BYTE_BASE_ID + c; // control chars tokenize to their byte token
    }
    return undefined;
  }
}

// Wide enough for one-hot rows; a multiple of 64 keeps ggml's row kernels on their fast paths.
function embeddingLength(vocabSize: number): number {
  return Math.ceil(vocabSize / 64) * 64;
}

/** Writes the scripted model as an F32 GGUF (a few MB for a few hundred pieces). */
export function writeScriptedModel(path: string, spec: ScriptedModelSpec): ScriptedModel & { bytes: number } {
  const model = buildScriptedModel(spec);
  const embd = model.embeddingLength;
  const shape: LlamaShape = {
    vocab: model.vocabSize,
    embd,
    blocks: 1,
    // One small head: attention is zeroed anyway, and key_length decouples it from embd.
    heads: 1,
    headsKv: 1,
    headDim: 64,
    ffn: 64,
    contextLength: spec.contextLength ?? 4096,
  };
  // After the final RMS norm a one-hot row is sqrt(embd) tall, so logit(next) = w * sqrt(embd)
  // against 0 for the other V - 1 tokens: p = e^L / (e^L + V - 1).
  const weights = new Map<number, number>();
  for (const [from, p] of Object.entries(spec.confidence ?? {})) {
    if (!(p > 0 && p < 1)) throw new Error(`confidence for ${JSON.stringify(from)} must be in (0, 1)`);
    const logit = Math.log((p / (1 - p)) * (model.vocabSize - 1));
    if (logit <= 0) throw new Error(`confidence ${p} is too low to stay the top-1 token`);
    weights.set(model.id(from), logit / Math.sqrt(embd));
  }
  const vocab = { tokens: [...model.tokens], scores: model.tokens.map(() => 0), types: [...model.types] };

  const rows = (rowOf: (v: number, row: Float32Array) => void): TensorSource["data"] => ({
    *values() {
      const row = new Float32Array(embd);
      for (let v = 0; v < model.vocabSize; v++) {
        row.fill(0);
        rowOf(v, row);
        yield row;
      }
    },
  });
  const data = (role: string, dims: readonly number[]): TensorSource["data"] => {
    const count = dims.reduce((a, b) => a * b, 1);
    switch (role) {
      case "embedding":
        return rows((t, row) => (row[t] = 1));
      case "output": {
        const sources: number[][] = Array.from({ length: model.vocabSize }, () => []);
        model.next.forEach((to, from) => sources[to].push(from));
        return rows((v, row) => sources[v].forEach((t) => (row[t] = weights.get(t) ?? 1)));
      }
      case "norm":
        return constantValues(count, 1);
      default:
        return constantValues(count, 0);
    }
  };

  const md = llamaMetadata(spec.name ?? "relay-scripted-test-model", shape, vocab, {
    tensorType: "F32",
    addBosToken: spec.addBosToken ?? true,
    architecture: spec.architecture,
    eosId: model.eos,
    chatTemplate: spec.chatTemplate,
  });
  Object.assign(md, spec.metadata);
  const { bytes } = writeGguf(path, md, llamaTensors(shape, "F32", false, data, spec.architecture));
  return { ...model, bytes };
}
