/**
 * `relay bench` (`npm run bench`): performance benchmarks on generated random-weight models of
 * realistic size — controller overhead, relay cost vs the naive re-send, inline latency, memory,
 * threads. Prints a table and writes JSON + Markdown results.
 */
import { Option, type Command } from "commander";
import { RelayError } from "../core/errors.js";
import { BENCH_NAMES, parseOnly, runBench, runBenchChild, showReport, type BenchName } from "../bench/run.js";
import { stderrLogger } from "./logger.js";
import { intOption } from "./options.js";
import { printErr } from "./terminalText.js";

interface BenchCliOptions {
  quick?: boolean;
  out: string;
  only?: BenchName[];
  threads?: number;
  verbose?: boolean;
  child?: string;
  show?: string;
}

export const DEFAULT_BENCH_OUT = "bench/results/latest.json";

function onlyList(value: string): BenchName[] {
  try {
    return parseOnly(value);
  } catch (error) {
    throw new RelayError("invalid-argument", `--only: ${(error as Error).message}`);
  }
}


/** The command as the user typed it, for the results: `npm run bench -- …` or `relay bench …`. */
function commandLine(options: BenchCliOptions): string {
  const args = [options.quick ? "--quick" : "", options.only ? `--only ${options.only.join(",")}` : "", options.threads ? `--threads ${options.threads}` : "", options.out !== DEFAULT_BENCH_OUT ? `--out ${options.out}` : ""].filter(Boolean);
  const viaNpm = process.env.npm_lifecycle_event === "bench";
  return [viaNpm ? "npm run bench" : "relay bench", ...(viaNpm && args.length ? ["--"] : []), ...args].join(" ");
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("benchmark the relay on generated random-weight models of realistic size (cached in .cache/bench-models/)")
    .option("--quick", "small model and fewer repetitions (a minute or two)")
    .option("--out <file>", "where to write the JSON results (a .md with the same tables is written beside it)", DEFAULT_BENCH_OUT)
    .option("--only <names>", `comma-separated benchmarks to run: ${BENCH_NAMES.join(", ")} (naive runs with relay)`, onlyList)
    .option("--threads <n>", "CPU threads for every context (default: the product's own choice)", intOption("--threads", 1, 1024))
    .option("--show <file>", "print the tables of a saved results file (and rewrite its .md) instead of running")
    .option("-v, --verbose", "log model loading to stderr")
    .addOption(new Option("--child <json>", "internal: run one benchmark child process").hideHelp())
    .action(async (options: BenchCliOptions) => {
      if (options.child) {
        await runBenchChild(options.child);
        return;
      }
      if (options.show) {
        showReport(options.show);
        return;
      }
      const only = options.only ?? parseOnly(undefined);
      const progress = (line: string) => printErr(`[bench] ${line}\n`);
      await runBench({
        quick: Boolean(options.quick),
        out: options.out,
        only,
        threads: options.threads,
        command: commandLine(options),
        logger: stderrLogger(Boolean(options.verbose)),
        progress,
      });
    });
}
