/** Builds the chat panel's front end (main.js, chat.css, katex/) into `outdir`. */
export function buildWebview(outdir: string, options?: { minify?: boolean; sourcemap?: boolean }): Promise<{ files: string[] }>;
