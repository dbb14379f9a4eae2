/**
 * `relay model convert <hf-repo-or-folder>`: a transformers checkpoint (a relay-trained student
 * such as RelayLLM-1.7B, or the training pipeline's own output folder) made into a GGUF on this
 * machine with llama.cpp's converter in the project's converter environment, cached and
 * checksummed (src/io/checkpoint.ts). A repository is downloaded first (HF_ENDPOINT, default
 * https://huggingface.co), with progress; Ctrl+C cancels and leaves nothing behind. Prints the
 * GGUF's path: give it to `relay ask --student … --policy learned`.
 */
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../eval/packageRoot.js";
import { checkpointRepo, convertCheckpoint, downloadCheckpoint, type CheckpointProgress } from "../io/checkpoint.js";
import { choiceOption, textOption } from "./options.js";
import { printErr, printJson, printOut } from "./terminalText.js";

export const DEFAULT_CONVERTED_DIR = join(homedir(), ".cache", "relay", "models", "converted");
export const DEFAULT_CHECKPOINT_DIR = join(homedir(), ".cache", "relay", "models", "checkpoints");

interface ConvertCliOptions {
  out: string;
  checkpoints: string;
  outtype: "f16" | "bf16" | "q8_0" | "f32";
  revision: string;
  json?: boolean;
}

const OUTTYPES = ["f16", "bf16", "q8_0", "f32"] as const;

export function registerModel(program: Command): void {
  const model = program.command("model").description("model files: `convert` makes a GGUF from a transformers checkpoint");
  model
    .command("convert <source>")
    .description("convert a transformers checkpoint (a Hugging Face repository owner/name, or a folder) to GGUF on this machine; prints its path")
    .option("--out <dir>", "where converted models go", textOption("--out"), DEFAULT_CONVERTED_DIR)
    .option("--outtype <type>", `GGUF tensor type: ${OUTTYPES.join(", ")}`, choiceOption("--outtype", OUTTYPES), "f16")
    .option("--revision <rev>", "the repository's revision (branch, tag or commit)", textOption("--revision"), "main")
    .option("--checkpoints <dir>", "where downloaded checkpoints are kept", textOption("--checkpoints"), DEFAULT_CHECKPOINT_DIR)
    .option("--json", "print one JSON object {path, sha256, reused, checkpoint}")
    .action(async (source: string, options: ConvertCliOptions) => {
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once("SIGINT", onSignal);
      let lastLine = 0;
      const progress = (p: CheckpointProgress) => {
        if (options.json) return;
        if (p.phase === "download" && Date.now() - lastLine > 1000) {
          lastLine = Date.now();
          printErr(`download: ${mb(p.receivedBytes ?? 0)} of ${mb(p.totalBytes ?? 0)}\n`);
        } else if (p.phase === "convert" && p.line) printErr(`convert: ${p.line}\n`);
      };
      try {
        const local = existsSync(source) && statSync(source).isDirectory();
        const checkpoint = local
          ? source
          : await downloadCheckpoint(source, { endpoint: process.env.HF_ENDPOINT ?? "https://huggingface.co", revision: options.revision, cacheDir: options.checkpoints, signal: abort.signal, onProgress: progress });
        const converted = await convertCheckpoint(checkpoint, {
          outDir: options.out,
          outtype: options.outtype,
          repoRoot: packageRoot(),
          name: local ? undefined : checkpointRepo(source).split("/")[1],
          signal: abort.signal,
          onProgress: progress,
        });
        if (options.json) printJson({ ...converted, checkpoint });
        else {
          printErr(converted.reused ? "convert: a checked conversion from before is used (sha256 matches)\n" : "convert: done\n");
          printOut(`${converted.path}\n`);
        }
      } finally {
        process.removeListener("SIGINT", onSignal);
      }
    });
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
