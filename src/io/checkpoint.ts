/**
 * A relay-trained student from a transformers checkpoint: downloaded from Hugging Face (or a
 * folder on this machine) and converted to GGUF on this machine by llama.cpp's own converter, in
 * the project's converter environment — the one the training pipeline exports with
 * (`scripts/pyenv.sh train` and `scripts/llama-converter.sh`).
 *
 * - Downloads go into a partial folder, each file checked against the size and (for LFS files)
 *   the sha256 the hub lists, and the folder is renamed into place only when every file is in;
 *   a cancel or a failure removes the partial folder: nothing is left behind.
 * - A conversion is cached by what it is made from (a sha256 over the checkpoint's files) and
 *   checksummed: the GGUF's sha256 is kept beside it and checked before a cached file is used; a
 *   file that does not match is converted again. The converter writes a temporary file that is
 *   renamed into place only when it is complete; a cancel kills it and removes the file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { RelayError, abortError } from "../core/errors.js";

/** The files of a transformers checkpoint the converter reads (top level only). */
const CHECKPOINT_FILE = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.json|merges\.txt|tokenizer\.model|chat_template\.jinja|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json)$/;

export interface CheckpointProgress {
  phase: "download" | "convert";
  /** Download: bytes so far and in all. */
  receivedBytes?: number;
  totalBytes?: number;
  /** Convert: the converter's latest line. */
  line?: string;
}

export interface DownloadOptions {
  /** The hub, e.g. https://huggingface.co (HF_ENDPOINT). */
  endpoint: string;
  revision?: string;
  /** Where checkpoints are kept: <dir>/<owner>--<name>/<commit>/. */
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (p: CheckpointProgress) => void;
  /** A download that receives nothing for this long fails (default 30 s). */
  stallMs?: number;
}

interface Sibling {
  rfilename: string;
  size?: number;
  lfs?: { sha256?: string; size?: number };
}

/** "hf:owner/name" or "owner/name" → "owner/name"; anything else is refused. */
export function checkpointRepo(ref: string): string {
  const repo = ref.replace(/^(hf:|huggingface:)/i, "").replace(/^https?:\/\/huggingface\.co\//i, "").replace(/\/+$/, "");
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new RelayError("invalid-argument", `"${ref}" is neither a checkpoint folder on this machine nor a Hugging Face repository (owner/name).`);
  return repo;
}

const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => hash.update(d))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });

/**
 * Downloads a checkpoint from the hub (once: a complete one in the cache is used as it is);
 * returns its folder. Rejects with model-download-failed saying why, or with an abort error.
 */
export async function downloadCheckpoint(ref: string, options: DownloadOptions): Promise<string> {
  const repo = checkpointRepo(ref);
  const endpoint = options.endpoint.replace(/\/+$/, "");
  const revision = options.revision ?? "main";
  const fail = (message: string, cause?: unknown) => new RelayError("model-download-failed", `Downloading the checkpoint ${repo} failed: ${message}`, cause === undefined ? undefined : { cause });
  const get = async (url: string, signal: AbortSignal): Promise<Response> => {
    try {
      return await fetch(url, { signal, redirect: "follow" });
    } catch (error) {
      if (options.signal?.aborted) throw abortError();
      throw fail(`${url} cannot be reached (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}).`, error);
    }
  };
  const signal = options.signal ?? new AbortController().signal;
  const info = await get(`${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`, signal);
  if (!info.ok) throw fail(info.status === 404 ? `the hub has no repository ${repo} (revision ${revision}).` : `the hub answered HTTP ${info.status}.`);
  const meta = (await info.json().catch(() => undefined)) as { sha?: string; siblings?: Sibling[] } | undefined;
  const files = (meta?.siblings ?? []).filter((s) => CHECKPOINT_FILE.test(s.rfilename));
  if (!files.some((f) => f.rfilename === "config.json") || !files.some((f) => f.rfilename.endsWith(".safetensors"))) {
    throw fail("it is not a transformers checkpoint in safetensors (no config.json or *.safetensors).");
  }
  const commit = /^[0-9a-f]{7,64}$/.test(meta?.sha ?? "") ? meta!.sha! : revision.replace(/[^\w.-]/g, "_");
  const final = join(options.cacheDir, repo.replace("/", "--"), commit);
  if (existsSync(join(final, ".relay-complete"))) return final;

  const partial = `${final}.partial-${process.pid}-${Date.now().toString(36)}`;
  mkdirSync(partial, { recursive: true });
  const total = files.reduce((n, f) => n + (f.lfs?.size ?? f.size ?? 0), 0);
  let received = 0;
  const sums: Record<string, string> = {};
  try {
    for (const file of files) {
      if (signal.aborted) throw abortError();
      const stall = new AbortController();
      const both = AbortSignal.any([signal, stall.signal]);
      const response = await get(`${endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${file.rfilename}`, both);
      if (!response.ok || !response.body) throw fail(`${file.rfilename}: HTTP ${response.status}.`);
      const path = join(partial, file.rfilename);
      const hash = createHash("sha256");
      const out = createWriteStream(path);
      let bytes = 0;
      let timer = setTimeout(() => stall.abort(), options.stallMs ?? 30_000);
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(timer);
          timer = setTimeout(() => stall.abort(), options.stallMs ?? 30_000);
          hash.update(chunk);
          bytes += chunk.length;
          received += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
          options.onProgress?.({ phase: "download", receivedBytes: received, totalBytes: total });
        }
      } catch (error) {
        if (signal.aborted) throw abortError();
        throw fail(stall.signal.aborted ? `${file.rfilename}: nothing received for ${Math.round((options.stallMs ?? 30_000) / 1000)} s.` : `${file.rfilename}: the connection broke after ${bytes} bytes.`, error);
      } finally {
        clearTimeout(timer);
        await new Promise<void>((r) => out.end(() => r()));
      }
      const size = file.lfs?.size ?? file.size;
      if (size !== undefined && bytes !== size) throw fail(`${file.rfilename}: received ${bytes} of ${size} bytes.`);
      const sum = hash.digest("hex");
      if (file.lfs?.sha256 && sum !== file.lfs.sha256) throw fail(`${file.rfilename}: its sha256 is not the one the hub lists (the file is damaged).`);
      sums[file.rfilename] = sum;
    }
    writeFileSync(join(partial, ".relay-complete"), JSON.stringify({ repo, revision, commit, files: sums }, null, 2));
    if (existsSync(join(final, ".relay-complete"))) {
      rmSync(partial, { recursive: true, force: true }); // another process finished first
    } else {
      rmSync(final, { recursive: true, force: true });
      renameSync(partial, final);
    }
    return final;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

export interface ConvertOptions {
  /** Where converted models go: <dir>/<name>-<key>.<outtype>.gguf (+ .sha256). */
  outDir: string;
  outtype?: "f16" | "bf16" | "q8_0" | "f32";
  /** The package root: scripts/pyenv.sh and scripts/llama-converter.sh make the converter environment. */
  repoRoot: string;
  /** A name for the file (default: the checkpoint folder's). */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (p: CheckpointProgress) => void;
}

export interface Converted {
  path: string;
  sha256: string;
  /** A checked cached conversion was used. */
  reused: boolean;
}

/** Runs a command to its end (killed on abort); resolves its stdout, rejects with its output's end. */
function run(command: string, args: string[], options: { signal?: AbortSignal; onLine?: (line: string) => void; what: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    } catch (error) {
      reject(new RelayError("model-convert-failed", `${options.what} could not start: ${(error as Error).message}`));
      return;
    }
    const kill = () => {
      child.kill("SIGTERM");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 3000).unref();
    };
    options.signal?.addEventListener("abort", kill, { once: true });
    const lines = (d: Buffer, sink: "out" | "err") => {
      const text = d.toString();
      if (sink === "out") out += text;
      else err = (err + text).slice(-20_000);
      for (const line of text.split(/[\r\n]+/)) if (line.trim()) options.onLine?.(line.trim());
    };
    child.stdout?.on("data", (d: Buffer) => lines(d, "out"));
    child.stderr?.on("data", (d: Buffer) => lines(d, "err"));
    child.on("error", (error) => reject(new RelayError("model-convert-failed", `${options.what} could not start: ${error.message}`)));
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", kill);
      if (options.signal?.aborted) return reject(abortError());
      if (code === 0) return resolve(out);
      const tail = (err || out).trim().split("\n").slice(-12).join("\n");
      reject(new RelayError("model-convert-failed", `${options.what} failed (exit ${code}):\n${tail}`));
    });
  });
}

/** What a checkpoint's conversion is keyed by: its files, their sizes and contents. */
async function checkpointKey(folder: string): Promise<string> {
  const hash = createHash("sha256");
  const files = readdirSync(folder).filter((f) => CHECKPOINT_FILE.test(f)).sort();
  for (const f of files) hash.update(`${f}\0${statSync(join(folder, f)).size}\0${await sha256File(join(folder, f))}\n`);
  return hash.digest("hex");
}

/**
 * Converts a checkpoint folder to GGUF (or uses a checked cached conversion). Rejects with
 * model-convert-failed saying why (not a checkpoint, no converter environment, the converter's
 * own error), or with an abort error; a cancel leaves no file behind.
 */
export async function convertCheckpoint(folder: string, options: ConvertOptions): Promise<Converted> {
  if (!existsSync(join(folder, "config.json"))) throw new RelayError("model-convert-failed", `${folder} is not a transformers checkpoint (no config.json).`);
  if (!readdirSync(folder).some((f) => f.endsWith(".safetensors"))) throw new RelayError("model-convert-failed", `${folder} holds no *.safetensors weights.`);
  const outtype = options.outtype ?? "f16";
  const key = (await checkpointKey(folder)).slice(0, 12);
  const name = (options.name ?? basename(folder)).replace(/[^\w.-]+/g, "-");
  mkdirSync(options.outDir, { recursive: true });
  const out = join(options.outDir, `${name}-${key}.${outtype}.gguf`);
  const sidecar = `${out}.sha256`;
  if (existsSync(out) && existsSync(sidecar)) {
    const sum = await sha256File(out);
    if (sum === readFileSync(sidecar, "utf8").trim()) return { path: out, sha256: sum, reused: true };
    // Damaged or changed since: made again.
    rmSync(out, { force: true });
    rmSync(sidecar, { force: true });
  }
  const progress = (line: string) => options.onProgress?.({ phase: "convert", line });
  progress("preparing the converter environment (scripts/pyenv.sh train, once)");
  const python = (await run("bash", [join(options.repoRoot, "scripts", "pyenv.sh"), "train"], { signal: options.signal, onLine: progress, what: "scripts/pyenv.sh train" })).trim().split("\n").pop()!;
  const converter = (await run("bash", [join(options.repoRoot, "scripts", "llama-converter.sh")], { signal: options.signal, onLine: progress, what: "scripts/llama-converter.sh" })).trim().split("\n").pop()!;
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await run(python, [converter, folder, "--outfile", tmp, "--outtype", outtype], { signal: options.signal, onLine: progress, what: "convert_hf_to_gguf.py" });
    if (!existsSync(tmp)) throw new RelayError("model-convert-failed", "convert_hf_to_gguf.py finished without writing the GGUF.");
    const sum = await sha256File(tmp);
    writeFileSync(sidecar, `${sum}\n`);
    renameSync(tmp, out);
    return { path: out, sha256: sum, reused: false };
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
