/**
 * Secret redaction for everything sent to a teacher. Deterministic: the same secret always
 * becomes the same placeholder, so consecutive requests keep a byte-identical prefix.
 */

interface SecretRule {
  kind: string;
  pattern: RegExp;
  /** Index of the capture group holding the secret (0: the whole match). */
  group?: number;
}

// Order matters: whole blocks first, then provider-specific shapes, then generic assignments.
const RULES: SecretRule[] = [
  { kind: "private-key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: "anthropic-key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: "openai-key", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: "stripe-key", pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { kind: "github-pat", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g },
  { kind: "gitlab-token", pattern: /\bgl(?:pat|dt|rt|ptt|soat)-[A-Za-z0-9_-]{20,}\b/g },
  { kind: "slack-token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "slack-webhook", pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,}/g },
  { kind: "aws-access-key", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: "huggingface-token", pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: "npm-token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "pypi-token", pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: "sendgrid-key", pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g },
  { kind: "digitalocean-token", pattern: /\bdo[pro]_v1_[a-f0-9]{64}\b/g },
  { kind: "shopify-token", pattern: /\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b/g },
  { kind: "mailgun-key", pattern: /\bkey-[a-z0-9]{32}\b/g },
  { kind: "telegram-bot-token", pattern: /\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b/g },
  { kind: "twilio-key", pattern: /\bSK[0-9a-f]{32}\b/g },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "azure-account-key", pattern: /\bAccountKey=([A-Za-z0-9+/=]{40,})/g, group: 1 },
  { kind: "bearer-token", pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g, group: 1 },
  // user:password@ in URLs (database and HTTP connection strings).
  { kind: "url-password", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]{3,})@/gi, group: 1 },
];

/** Key names of `.env` / config assignments whose values are secret. */
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?)[A-Za-z0-9_.-]*`;
/** `KEY=value`, `key: "value"`, `"key": "value"`, `key = 'value'` (value captured). */
const ASSIGNMENT = new RegExp(
  String.raw`(["']?)\b(${SECRET_KEY})\1[ \t]*(?::=|=|:)[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"',;#]+))`,
  "gi",
);

/** Values that are clearly not secrets: references, code, placeholders, numbers. */
function looksLikeSecretValue(value: string): boolean {
  if (value.length < 6) return false;
  if (/^\d+(\.\d+)?$/.test(value)) return false;
  if (/^(true|false|null|none|undefined|changeme|password|secret|token|xxx+|\*+)$/i.test(value)) return false;
  if (/^(\$|%|\{\{|<|process\.env|os\.environ|env\(|getenv|\[REDACTED)/i.test(value)) return false;
  if (/[()]/.test(value)) return false;
  if (/^[a-z]+(?:[._][a-z]+)+$/i.test(value) && !/\d/.test(value)) return false; // a dotted identifier
  return true;
}

/** FNV-1a: a short stable tag for a secret (not a security hash; it only keeps placeholders apart). */
function tag(secret: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < secret.length; i++) {
    h ^= secret.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

export function placeholder(kind: string, secret: string): string {
  return `[REDACTED ${kind} ${tag(secret)}]`;
}

export interface RedactionResult {
  text: string;
  /** Kinds found, one entry per secret replaced. */
  found: string[];
}

export function redactSecrets(text: string): RedactionResult {
  const found: string[] = [];
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      const secret = rule.group ? String(groups[rule.group - 1] ?? "") : match;
      if (!secret) return match;
      found.push(rule.kind);
      return match.replace(secret, placeholder(rule.kind, secret));
    });
  }
  out = out.replace(ASSIGNMENT, (match: string, _q: string, key: string, dq?: string, sq?: string, bare?: string) => {
    const value = dq ?? sq ?? bare ?? "";
    if (!looksLikeSecretValue(value)) return match;
    found.push("assignment");
    const at = match.lastIndexOf(value);
    return match.slice(0, at) + placeholder(`${key.toLowerCase()}`, value) + match.slice(at + value.length);
  });
  return { text: out, found };
}

/** The redactor the controller uses. */
export function redact(text: string): string {
  return redactSecrets(text).text;
}
