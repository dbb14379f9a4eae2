/**
 * The answer's Markdown renderer: markdown-it with raw HTML off, images off (nothing remote is
 * loaded), KaTeX math and highlight.js code blocks. The HTML it returns is NOT yet safe: it
 * goes through `sanitize.ts` before it reaches the page.
 */
import MarkdownIt from "markdown-it";
import { highlightCode } from "./highlight.js";
import { escapeHtml } from "./html.js";
import { mathPlugin } from "./math.js";
import { extractSentinels, stripSentinels, wrapAtom } from "./sentinels.js";

const md = new MarkdownIt({ html: false, linkify: false, breaks: true, typographer: false });
md.disable("image");
md.use(mathPlugin);

// Span sentinels never belong in a URL (they would be percent-encoded and lost).
const normalizeLink = md.normalizeLink.bind(md);
md.normalizeLink = (url: string) => normalizeLink(stripSentinels(url));

function codeBlock(code: string, info: string): string {
  // A boundary that landed in the info string is moved in front of the block.
  const { clean, sentinels } = extractSentinels(info);
  const language = (clean.trim().split(/\s+/)[0] ?? "").replace(/[^\w#+.-]/g, "");
  const lang = language ? ` data-lang="${escapeHtml(language)}"` : "";
  return wrapAtom(sentinels, `<pre class="code-block"${lang}><code class="hljs">${highlightCode(code, language)}</code></pre>\n`);
}

md.renderer.rules.fence = (tokens, idx) => codeBlock(tokens[idx]?.content ?? "", tokens[idx]?.info ?? "");
md.renderer.rules.code_block = (tokens, idx) => codeBlock(tokens[idx]?.content ?? "", "");

/** Markdown source to (unsanitized) HTML. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}
