/**
 * The last gate before model output reaches the page: DOMPurify over the rendered Markdown.
 * markdown-it already escapes raw HTML (html: false); this catches anything that slips through
 * a renderer rule. KaTeX needs inline `style` attributes, SVG (radicals, arrows) and MathML (for
 * screen readers), so those profiles stay on; forms, media and embedding elements do not, and
 * link targets are checked by DOMPurify's URI rules (no `javascript:`).
 */
import DOMPurify from "dompurify";

const FORBID_TAGS = ["style", "img", "image", "video", "audio", "iframe", "object", "embed", "form", "input", "button", "textarea", "select", "link", "meta", "base"];
const FORBID_ATTR = ["id", "srcset", "action", "formaction"];

let hooked = false;

/** Rendered HTML to a sanitized fragment, ready to be decorated and inserted. */
export function sanitizeToFragment(html: string): DocumentFragment {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node instanceof HTMLAnchorElement) node.setAttribute("rel", "noopener noreferrer");
    });
  }
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true, svg: true, mathMl: true },
    FORBID_TAGS,
    FORBID_ATTR,
    RETURN_DOM_FRAGMENT: true,
  });
}
