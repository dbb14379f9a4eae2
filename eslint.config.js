// ESLint flat config: typescript-eslint's recommended rules for all TypeScript sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", ".cache/", "node_modules/", "test-results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: {
      // src/core stays pure: no editor API, no I/O of its own.
      "no-restricted-imports": ["error", { paths: ["vscode", "node-llama-cpp", "fs", "node:fs", "node:fs/promises", "fs/promises", "node:child_process", "node:net", "node:http"] }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
