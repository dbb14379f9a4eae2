/**
 * The installed package's root folder (where package.json, data/, python/ and scripts/ are),
 * found from this module's own location: src/eval/ when run from source, dist/ when bundled.
 * Never the working directory, so `relay eval --data gsm8k` works from any folder.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(from: string = moduleDir()): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "..");
  }
}

function moduleDir(): string {
  // import.meta.url is empty in a CommonJS bundle; __dirname is the same folder there.
  return typeof import.meta.url === "string" && import.meta.url ? dirname(fileURLToPath(import.meta.url)) : __dirname;
}
