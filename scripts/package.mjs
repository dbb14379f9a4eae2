// Packages the extension as a VSIX for one platform target, carrying node-llama-cpp with only
// that platform's binary packages (a VSIX must not carry every GPU back-end by accident).
//
//   node scripts/package.mjs [--target linux-x64] [--gpu none|vulkan|cuda] [--out file.vsix] [--images-url https://…]
//
// Stages the files in .cache/vsix/<target>, installs the production dependency there from the
// npm registry (cached by npm), prunes the other platforms' binaries, and runs vsce.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    target: { type: "string", default: `${process.platform}-${process.arch}` },
    gpu: { type: "string", default: "none" },
    out: { type: "string" },
    /** Where the README's relative images and links are served from (https), for the extension page. */
    "images-url": { type: "string" },
  },
});
const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const target = values.target;
const out = resolve(values.out ?? join(root, `relay-${target}${values.gpu === "none" ? "" : `-${values.gpu}`}-${pkg.version}.vsix`));

// Binary packages of node-llama-cpp each target keeps.
const keepBinaries = {
  "linux-x64": { none: ["linux-x64"], vulkan: ["linux-x64", "linux-x64-vulkan"], cuda: ["linux-x64", "linux-x64-cuda"] },
  "linux-arm64": { none: ["linux-arm64"] },
  "darwin-arm64": { none: ["mac-arm64-metal"] },
  "darwin-x64": { none: ["mac-x64"] },
  "win32-x64": { none: ["win-x64"], vulkan: ["win-x64", "win-x64-vulkan"], cuda: ["win-x64", "win-x64-cuda"] },
}[target]?.[values.gpu];
if (!keepBinaries) throw new Error(`unsupported target/gpu: ${target}/${values.gpu}`);

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });

run(process.execPath, [join(root, "scripts/build.mjs")], root);

const stage = join(root, ".cache", "vsix", `${target}-${values.gpu}`);
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
// The extension's page shows the user README; README.md at the root is the developer's.
// VS Code's extension page shows only https (or data:) images, so the screenshots need a public
// base URL (the repository's, which vsce prepends); without one they would show as broken
// images, and are left out.
const imagesUrl = values["images-url"];
if (imagesUrl && !/^https:\/\//.test(imagesUrl)) throw new Error(`--images-url must be an https URL: ${imagesUrl}`);
const linkArgs = imagesUrl ? ["--baseImagesUrl", imagesUrl, "--baseContentUrl", imagesUrl] : pkg.repository ? [] : ["--no-rewrite-relative-links"];
let readme = readFileSync(join(root, "README.extension.md"), "utf8");
if (!imagesUrl && !pkg.repository) {
  readme = readme.replace(/^!\[[^\]]*\]\((?!https:)[^)]*\)\n\n?/gm, "");
  console.log("packaging without the README's screenshots (no repository or --images-url to serve them from)");
}
writeFileSync(join(stage, "README.md"), readme);
for (const file of ["CHANGELOG.md", "LICENSE", ".vscodeignore"]) cpSync(join(root, file), join(stage, file));
cpSync(join(root, "media"), join(stage, "media"), { recursive: true });
// The converter environment a relay-trained student is made with (Relay: Use the Relay-Trained
// Student): the same pinned scripts and requirements the training pipeline exports with.
mkdirSync(join(stage, "scripts"), { recursive: true });
for (const file of ["pyenv.sh", "llama-converter.sh"]) cpSync(join(root, "scripts", file), join(stage, "scripts", file));
cpSync(join(root, "python", "requirements"), join(stage, "python", "requirements"), { recursive: true });
mkdirSync(join(stage, "dist"), { recursive: true });
cpSync(join(root, "dist", "extension.cjs"), join(stage, "dist", "extension.cjs"));
if (existsSync(join(root, "dist", "webview"))) cpSync(join(root, "dist", "webview"), join(stage, "dist", "webview"), { recursive: true });

// The VSIX's package.json: only the runtime dependencies that are not bundled (node-llama-cpp;
// @huggingface/jinja, which the chat-template sandbox's worker loads by path).
const manifest = { ...pkg, dependencies: { "node-llama-cpp": pkg.dependencies["node-llama-cpp"], "@huggingface/jinja": pkg.dependencies["@huggingface/jinja"] } };
delete manifest.devDependencies;
delete manifest.scripts;
delete manifest.bin;
manifest.repository ??= { type: "git", url: "https://example.invalid/relay.git" };
writeFileSync(join(stage, "package.json"), JSON.stringify(manifest, null, 2));
run("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-package-lock"], stage);

// Prune: other platforms' binaries, and llama.cpp's source bundle (only for building from source).
const binaries = join(stage, "node_modules", "@node-llama-cpp");
for (const name of readdirSync(binaries)) {
  if (!keepBinaries.includes(name)) rmSync(join(binaries, name), { recursive: true, force: true });
}
rmSync(join(stage, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle"), { force: true });
// Source maps, type declarations, TypeScript sources and docs of dependencies are not run.
const prune = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) prune(path);
    else if (/\.(map|d\.ts|d\.mts|d\.cts|ts|md)$/.test(entry.name) && entry.name !== "package.json") rmSync(path);
  }
};
prune(join(stage, "node_modules"));

run(process.execPath, [join(root, "node_modules", "@vscode", "vsce", "vsce"), "package", "--target", target, "--out", out, "--allow-missing-repository", "--skip-license", ...linkArgs], stage);
console.log(`packaged ${out}`);
