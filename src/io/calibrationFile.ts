/** Calibration files on disk (one per student, see core/routing/calibration.ts). */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { RelayError } from "../core/errors.js";
import { CALIBRATION_FORMAT, type CalibrationFile } from "../core/routing/calibration.js";
import { FEATURE_VERSION } from "../core/routing/features.js";

/** Reads a calibration file; one for another student or feature set is refused, naming the file. */
export async function readCalibration(path: string, fingerprint: string): Promise<CalibrationFile> {
  let file: CalibrationFile;
  try {
    file = JSON.parse(await readFile(path, "utf8")) as CalibrationFile;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RelayError("invalid-argument", code === "ENOENT" ? `${path} does not exist.` : `${path}: not a readable calibration file (${(error as Error).message}).`);
  }
  if (file?.format !== CALIBRATION_FORMAT || !Array.isArray(file.answers)) throw new RelayError("invalid-argument", `${path} is not a Relay calibration file.`);
  if (file.featureVersion !== FEATURE_VERSION) throw new RelayError("invalid-argument", `${path} was made for feature set ${file.featureVersion}; run \`relay calibrate\` again.`);
  if (file.student?.fingerprint !== fingerprint) throw new RelayError("invalid-argument", `${path} was made for another student (${file.student?.name ?? "?"}); run \`relay calibrate\` for this one.`);
  return file;
}

/** Where `relay calibrate` keeps a student's calibration (one file per student). */
export function defaultCalibrationPath(fingerprint: string): string {
  const cache = process.env.RELAY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "relay");
  return join(cache, "calibration", `${fingerprint}.json`);
}

export async function writeCalibration(path: string, file: CalibrationFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(file) + "\n");
  await rename(tmp, path);
}
