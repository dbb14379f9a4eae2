/** The eval's progress bar with ETA (cli-progress) on stderr; nothing when stderr is no terminal. */
import cliProgress from "cli-progress";
import type { ProgressSink } from "./runEval.js";

export interface ProgressBar extends ProgressSink {
  stop(): void;
}

export function createProgressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!enabled || !stream.isTTY) return { add() {}, advance() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "eval |{bar}| {value}/{total} answers | {percentage}% | ETA {eta_formatted} | acc {accuracy} | {label}",
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      // Our own SIGINT handler stops the run and the bar.
      gracefulExit: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  // Running accuracy of the condition and dataset being worked on.
  const tally = new Map<string, { correct: number; graded: number }>();
  const accuracy = (label = "") => {
    const t = tally.get(label);
    return t ? `${((t.correct / t.graded) * 100).toFixed(1)}%` : "–";
  };
  return {
    add(tasks) {
      if (!started) {
        bar.start(tasks, 0, { label: "", accuracy: accuracy() });
        started = true;
      } else bar.setTotal(bar.getTotal() + tasks);
    },
    advance({ label, correct: ok }) {
      if (ok !== undefined) {
        const t = tally.get(label) ?? { correct: 0, graded: 0 };
        t.graded++;
        if (ok) t.correct++;
        tally.set(label, t);
      }
      bar.increment(1, { label, accuracy: accuracy(label) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
