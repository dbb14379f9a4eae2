// The npm registry mirror these machines use does not serve node-llama-cpp's binary packages for
// other platforms, so `npm install` leaves them out of package-lock.json and `npm ci` then
// refuses the lock. This writes their lock entries (optional, with their os/cpu), which `npm ci`
// skips on a platform they do not match, without fetching anything. Run after `npm install`.
import { readFileSync, writeFileSync } from "node:fs";

const platforms = {
  "linux-arm64": ["linux", "arm64"],
  "linux-armv7l": ["linux", "arm"],
  "linux-riscv64": ["linux", "riscv64"],
  "linux-x64": ["linux", "x64"],
  "linux-x64-cuda": ["linux", "x64"],
  "linux-x64-cuda-ext": ["linux", "x64"],
  "linux-x64-vulkan": ["linux", "x64"],
  "mac-arm64-metal": ["darwin", "arm64"],
  "mac-x64": ["darwin", "x64"],
  "win-arm64": ["win32", "arm64"],
  "win-x64": ["win32", "x64"],
  "win-x64-cuda": ["win32", "x64"],
  "win-x64-cuda-ext": ["win32", "x64"],
  "win-x64-vulkan": ["win32", "x64"],
};
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const version = lock.packages["node_modules/node-llama-cpp"].version;
let added = 0;
for (const [name, [os, cpu]] of Object.entries(platforms)) {
  const key = `node_modules/@node-llama-cpp/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version, cpu: [cpu], license: "MIT", optional: true, os: [os], engines: { node: ">=20.0.0" } };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: ${added} platform entries added`);
