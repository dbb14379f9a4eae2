// ESLint flat config: typescript-eslint's recommended rules for all TypeScript sources, and the
// direction of the architecture (docs/architecture.md, "Layers and import rules") as import rules per folder, so a wrong
// arrow fails `npm run lint`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const SRC_FOLDERS = ["core", "editor", "protocol", "llama", "student", "teacher", "io", "gguf", "demo", "eval", "router", "bench", "cli", "extension"];

/** What each folder of src/ may import from its siblings; everything else is refused. */
const LAYERS = {
  core: [],
  editor: ["core"],
  protocol: ["core"],
  llama: ["core"],
  student: ["core", "llama"],
  teacher: ["core", "llama"],
  io: ["core"],
  gguf: ["core"],
  demo: ["core", "gguf"],
  eval: ["core"],
  router: ["core", "llama", "student", "teacher", "io", "eval"],
  bench: ["core", "editor", "gguf", "llama", "student", "teacher", "io", "demo"],
  cli: ["core", "protocol", "llama", "student", "teacher", "io", "gguf", "demo", "eval", "bench", "router"],
  // Never eval, router, bench, gguf or demo: tooling stays out of the VSIX.
  extension: ["core", "editor", "protocol", "llama", "student", "teacher", "io"],
};

/** Pure code: no editor API, no native runtime, no I/O of its own. */
const PURE = ["vscode", "node-llama-cpp", "fs", "node:fs", "node:fs/promises", "fs/promises", "node:child_process", "child_process", "node:net", "node:http", "node:https"];

function layerRule(folder) {
  const refused = SRC_FOLDERS.filter((other) => other !== folder && !LAYERS[folder].includes(other));
  const patterns = refused.map((other) => ({
    group: [`../${other}/*`, `../../${other}/*`, `**/src/${other}/*`],
    message: `src/${folder} must not import src/${other} (see docs/architecture.md, "Layers and import rules").`,
  }));
  const paths = ["core", "editor", "protocol"].includes(folder)
    ? PURE.map((name) => ({ name, message: `src/${folder} stays pure: no editor API, no native runtime, no I/O.` }))
    : folder === "extension"
      ? []
      : [{ name: "vscode", message: "Only src/extension imports vscode." }];
  return { files: [`src/${folder}/**/*.ts`], rules: { "no-restricted-imports": ["error", { paths, patterns }] } };
}

export default tseslint.config(
  { ignores: ["dist/", "out/", ".cache/", "node_modules/", "test-results/", "python/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  ...SRC_FOLDERS.map(layerRule),
  {
    // The relay command writes someone else's text (answers, server errors, datasets, grade
    // input): every write goes through src/cli/terminalText.ts, which makes it safe.
    files: ["src/cli/**/*.ts"],
    ignores: ["src/cli/terminalText.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.type='MemberExpression'][object.object.name='process'][object.property.name=/^(stdout|stderr)$/][property.name='write']",
          message: "Write through src/cli/terminalText.ts (printOut, printErr, printJson; printStyled for chalk around terminalSafe text): text from a model, a server or a file must not drive the terminal.",
        },
        {
          selector: "MemberExpression[object.name='console']",
          message: "No console in src/cli: write through src/cli/terminalText.ts (printOut, printErr, printJson), which makes someone else's text safe for the terminal.",
        },
      ],
    },
  },
  {
    // The chat panel's front end runs in a browser: it shares only the message protocol.
    files: ["webview/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "vscode", message: "The webview cannot import vscode; talk to the host over src/protocol." }, { name: "node-llama-cpp", message: "The webview runs in a browser." }],
          patterns: [{ group: ["../src/*", "!../src/protocol", "../src/*/*", "!../src/protocol/*"], message: "The webview imports only src/protocol from the host side." }],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);

export { LAYERS, SRC_FOLDERS };
