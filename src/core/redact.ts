/**
 * Secret redaction for everything sent to a teacher. Deterministic: the same secret always
 * becomes the same placeholder, so consecutive requests keep a byte-identical prefix.
 *
 * Rules come in families (measured on a table of fake secrets and look-alikes, see
 * test/unit/redactTable.test.ts):
 * - whole blocks: private keys (PEM, OpenSSH, PGP), also inside JSON strings;
 * - provider key formats: fixed prefixes and shapes (OpenAI, Anthropic, Stripe incl. webhook
 *   secrets, GitHub, GitLab, Slack, Discord, AWS, Google, Hugging Face, npm, PyPI, ...);
 * - credentials in URLs and headers: `user:password@` (a password may hold `/` or `@`),
 *   secret query parameters (`sig=`, `access_token=`, ...), `Authorization: Basic|Bearer|...`,
 *   API-key headers, `curl -u user:pass`, netrc;
 * - key = value in config formats (.env, YAML, JSON, TOML, properties, XML, connection
 *   strings, kubeconfig `*-key-data`, Docker `auth`), for secret-like names;
 * - high-entropy values next to secret-like words on the same line.
 * Look-alikes stay: hashes and UUIDs, references (`${VAR}`, `process.env.X`, `secrets.X`),
 * placeholders, and setting names whose values are not secrets (`"token_type": "bearer"`,
 * `PASSWORD_RESET_URL=https://…`, `AUTH_TOKEN_HEADER=X-Auth-Token`).
 */
import { fnv1a } from "./hash.js";

interface SecretRule {
  kind: string;
  pattern: RegExp;
  /** Index of the capture group holding the secret (0: the whole match). */
  group?: number;
  /** A last check on the secret (placeholders, references). */
  accept?: (secret: string) => boolean;
}

const B64 = "A-Za-z0-9+/";
/** A line break inside a key block: real, or escaped inside a JSON string. */
const PEM_BREAK = String.raw`(?:\r?\n|(?:\\r)?\\n)`;

// Order matters: whole blocks first, then provider-specific shapes, then URLs and headers.
const RULES: SecretRule[] = [
  { kind: "private-key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  // Only part of a block (a selection, a file cut short): the header with the lines after it
  // (an encrypted key's Proc-Type/DEK-Info first), or the lines before a footer. Lines may be
  // joined by real or escaped newlines (a key inside a JSON string).
  { kind: "private-key", pattern: new RegExp(String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:${PEM_BREAK}[A-Za-z-]+: [^\n\\]*)*(?:${PEM_BREAK})*(?:${PEM_BREAK}[${B64}=]{8,})+`, "g") },
  { kind: "private-key", pattern: new RegExp(String.raw`(?:[${B64}=]{8,}(?:${PEM_BREAK}))+-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`, "g") },
  { kind: "age-secret-key", pattern: /\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b/g },
  // AI providers
  { kind: "anthropic-key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: "openai-key", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: "groq-key", pattern: /\bgsk_[A-Za-z0-9]{40,}\b/g },
  { kind: "xai-key", pattern: /\bxai-[A-Za-z0-9]{50,}\b/g },
  { kind: "replicate-token", pattern: /\br8_[A-Za-z0-9]{30,}\b/g },
  { kind: "perplexity-key", pattern: /\bpplx-[A-Za-z0-9]{40,}\b/g },
  { kind: "huggingface-token", pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  // Payments and commerce
  { kind: "stripe-key", pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: "stripe-webhook-secret", pattern: /\bwhsec_[A-Za-z0-9]{24,}/g },
  { kind: "square-token", pattern: /\bsq0(?:atp|csp|idp)-[A-Za-z0-9_-]{22,}/g },
  { kind: "braintree-token", pattern: /\baccess_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}\b/g },
  { kind: "shopify-token", pattern: /\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b/g },
  // Code hosting, CI, registries
  { kind: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { kind: "github-pat", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g },
  { kind: "gitlab-token", pattern: /\bgl(?:pat|dt|rt|ptt|soat|cbt|imt|agent)-[A-Za-z0-9_-]{20,}\b/g },
  { kind: "npm-token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "pypi-token", pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: "docker-pat", pattern: /\bdckr_pat_[A-Za-z0-9_-]{24,}/g },
  { kind: "jfrog-key", pattern: /\bAKCp[A-Za-z0-9]{60,}\b/g },
  { kind: "terraform-token", pattern: /\b[a-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}/g },
  { kind: "pulumi-token", pattern: /\bpul-[a-f0-9]{40}\b/g },
  { kind: "vault-token", pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g },
  { kind: "doppler-token", pattern: /\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/g },
  // Chat, mail, messaging
  { kind: "slack-token", pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "slack-app-token", pattern: /\bxapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}\b/g },
  { kind: "slack-webhook", pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{20,}/g },
  { kind: "discord-webhook", pattern: /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[A-Za-z0-9_-]{30,}/g },
  { kind: "discord-bot-token", pattern: /\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b/g },
  { kind: "telegram-bot-token", pattern: /\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b/g },
  { kind: "sendgrid-key", pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g },
  { kind: "mailgun-key", pattern: /\bkey-[a-z0-9]{32}\b/g },
  { kind: "mailchimp-key", pattern: /\b[a-f0-9]{32}-us\d{1,2}\b/g },
  { kind: "twilio-key", pattern: /\bSK[0-9a-f]{32}\b/g },
  // Cloud and SaaS
  { kind: "aws-access-key", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "google-oauth-secret", pattern: /\bGOCSPX-[A-Za-z0-9_-]{28}\b/g },
  { kind: "digitalocean-token", pattern: /\bdo[pro]_v1_[a-f0-9]{64}\b/g },
  { kind: "databricks-token", pattern: /\bdapi[a-f0-9]{32}(?:-\d)?\b/g },
  { kind: "atlassian-token", pattern: /\bATATT3[A-Za-z0-9_=-]{100,}/g },
  { kind: "linear-key", pattern: /\blin_api_[A-Za-z0-9]{40}\b/g },
  { kind: "notion-token", pattern: /\b(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,})\b/g },
  { kind: "postman-key", pattern: /\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g },
  { kind: "grafana-token", pattern: /\bgl(?:sa|c)_[A-Za-z0-9_=+/-]{32,}/g },
  { kind: "newrelic-key", pattern: /\bNR(?:AK|II)-[A-Z0-9]{27,}\b/g },
  { kind: "supabase-token", pattern: /\bsbp_[a-f0-9]{40}\b/g },
  { kind: "figma-token", pattern: /\bfigd_[A-Za-z0-9_-]{40,}/g },
  { kind: "airtable-token", pattern: /\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b/g },
  { kind: "dropbox-token", pattern: /\bsl\.[A-Za-z0-9_-]{120,}/g },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "azure-account-key", pattern: /\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=([A-Za-z0-9+/=%&:-]{20,})/g, group: 1 },
  // Credentials in URLs: user:password@host, the password may hold "/", "@" or ":".
  { kind: "url-password", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:(\S+?)@(?=[A-Za-z0-9.-]+(?::\d+)?(?:[/?#\s"'`]|$))(?!\S*@[A-Za-z0-9.-]+(?::\d+)?(?:[/?#\s"'`]|$))/gi, group: 1, accept: (s) => s.length >= 3 && !isReference(s) },
  // Secret query parameters (Azure SAS sig=, OAuth tokens, signed URLs).
  {
    kind: "url-secret-param",
    pattern: /[?&](?:sig|signature|x-amz-signature|x-goog-signature|access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|secret|client_secret|password|passwd|pwd|auth|code_verifier)=([^&\s#"'`<>]{8,})/gi,
    group: 1,
    accept: (s) => !isReference(s) && /\d/.test(s) && /[A-Za-z]/.test(s),
  },
  // Headers.
  { kind: "authorization", pattern: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token|bot|digest|apikey|sso-key|key)\s+([A-Za-z0-9+/=._~:-]{8,})/gi, group: 1, accept: (s) => !isReference(s) },
  { kind: "bearer-token", pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g, group: 1, accept: (s) => !isReference(s) },
  { kind: "api-key-header", pattern: /\b(?:x-api-key|api-key|x-auth-token|x-access-token|x-goog-api-key|ocp-apim-subscription-key|x-functions-key|private-token|x-vault-token)["']?\s*:\s*["']?([A-Za-z0-9+/=._~-]{12,})/gi, group: 1, accept: (s) => !isReference(s) && /\d/.test(s) },
  { kind: "curl-user", pattern: /(?:\s-u|--user)\s+["']?[^\s:"']+:([^\s"']{3,})/g, group: 1, accept: (s) => !isReference(s) },
  { kind: "netrc-password", pattern: /\bmachine\s+\S+\s+login\s+\S+\s+password\s+(\S+)/g, group: 1 },
  { kind: "xml-secret", pattern: /<((?:[\w-]*:)?(?:password|passwd|secret|token|api[_-]?key|apikey|client[_-]?secret|access[_-]?key|private[_-]?key))>([^<\s]{6,})<\/\1>/gi, group: 2, accept: (s) => !isReference(s) },
];

/** Key names whose values are secret (a word inside a longer name counts: DB_PASSWORD). */
const SECRET_WORDS = String.raw`password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|key[_-]?data|signing[_-]?key|encryption[_-]?key|master[_-]?key|session[_-]?key|account[_-]?key|conn(?:ection)?[_-]?string|dsn|webhook[_-]?url`;
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*(?:${SECRET_WORDS})[A-Za-z0-9_.-]*`;
/** Names that are secret only on their own (Docker's "auth", npm's "_auth"): not auth_mode. */
const EXACT_KEY = String.raw`_?auth|identitytoken|registrytoken|pass|pw|psk`;
/** `KEY=value`, `key: "value"`, `"key": "value"`, `key = 'value'` (value captured). */
const ASSIGNMENT = new RegExp(String.raw`(["']?)\b(${SECRET_KEY}|(?:${EXACT_KEY})(?![A-Za-z0-9_.-]))\1[ \t]*(?::=|=>|=|:)[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"',;#]+))`, "gi");

/** Names that look secret but hold settings: a URL, a header name, a type, a length. */
const SETTING_NAME = /(?:_|-|\.|^)(?:url|uri|endpoint|header|type|name|names|id|path|file|dir|length|len|size|count|ttl|expiry|expires?|timeout|min|max|limit|mode|method|policy|format|prefix|field|env|var|enabled|required|regex|pattern|kind|hint|label|scope|version|provider|rotation)$/i;

/** References to a secret kept elsewhere, placeholders: not secrets themselves. */
function isReference(value: string): boolean {
  return (
    /^(\$|%|\{\{|<|\[REDACTED|process\.env|os\.environ|env\(|getenv|secrets\.|vault:|!vault|\*+$|x{3,}|\.{3}|…)/i.test(value) ||
    /^(?:your|my|example|sample|placeholder|dummy|fake|test|changeme|change[_-]me|redacted|none|null|undefined|todo)(?:[_-].*)?$/i.test(value)
  );
}

/** Values that are clearly not secrets: references, code, placeholders, numbers, words. */
function looksLikeSecretValue(value: string, key: string): boolean {
  if (value.length < 6) return false;
  if (isReference(value)) return false;
  if (/^\d+(\.\d+)?[a-z]{0,2}$/i.test(value)) return false; // 3600, 12, 30s
  if (/^(true|false|null|none|undefined|password|secret|token|bearer|basic|required|optional|enabled|disabled)$/i.test(value)) return false;
  if (/[()]/.test(value)) return false;
  if (/^[a-z]+(?:[._][a-z]+)+$/i.test(value) && !/\d/.test(value)) return false; // a dotted identifier
  if (/^[A-Z][a-z]+(?:-[A-Z][a-z]+)+$/.test(value)) return false; // a header name: X-Auth-Token
  if (/^https?:\/\/[^\s:@/]+(?:[:/?#]|$)/i.test(value) && !/[?&](?:sig|token|key|secret|password)=/i.test(value)) return SETTING_NAME.test(key) ? false : !/^https?:\/\/[^@]*$/i.test(value);
  if (SETTING_NAME.test(key)) return false;
  return true;
}

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / value.length) * Math.log2(n / value.length);
  return h;
}

/** A quoted or assigned high-entropy token on a line that names a secret. */
const SECRET_WORD_ON_LINE = new RegExp(String.raw`(?:${SECRET_WORDS}|\bauth\b|\bkey\b)`, "i");
const HIGH_ENTROPY = new RegExp(String.raw`(?<=["'=:\s]|^)([${B64}_-]{24,}={0,2})(?=["'\s,;)]|$)`, "g");

function isHighEntropySecret(token: string): boolean {
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/\d/.test(token)) return false; // hex hashes and words stay
  if (/^[0-9a-f-]+$/i.test(token)) return false;
  if (/^(?:sha\d+|md5)-/i.test(token)) return false; // lockfile integrity hashes
  return entropy(token) >= 4.2;
}

function tag(secret: string): string {
  return fnv1a(secret).toString(16).padStart(8, "0");
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
      if (!secret || secret.startsWith("[REDACTED") || (rule.accept && !rule.accept(secret))) return match;
      found.push(rule.kind);
      const at = rule.group ? match.lastIndexOf(secret) : 0;
      return match.slice(0, at) + placeholder(rule.kind, secret) + match.slice(at + secret.length);
    });
  }
  out = out.replace(ASSIGNMENT, (match: string, _q: string, key: string, dq?: string, sq?: string, bare?: string) => {
    const value = dq ?? sq ?? bare ?? "";
    if (value.includes("[REDACTED") || !looksLikeSecretValue(value, key)) return match;
    found.push("assignment");
    const at = match.lastIndexOf(value);
    return match.slice(0, at) + placeholder(`${key.toLowerCase()}`, value) + match.slice(at + value.length);
  });
  // High-entropy values on lines that name a secret (a key passed as an argument, a table cell);
  // a Twilio auth token is 32 hex characters, recognisable only by the line it is on.
  out = out
    .split("\n")
    .map((line) => {
      if (/twilio/i.test(line)) {
        line = line.replace(/(?<![A-Za-z0-9])[a-f0-9]{32}(?![A-Za-z0-9])/g, (token) => {
          found.push("twilio-auth-token");
          return placeholder("twilio-auth-token", token);
        });
      }
      if (!SECRET_WORD_ON_LINE.test(line.replace(/\[REDACTED [^\]]*\]/g, ""))) return line;
      return line.replace(HIGH_ENTROPY, (token: string) => {
        if (!isHighEntropySecret(token)) return token;
        found.push("high-entropy");
        return placeholder("high-entropy", token);
      });
    })
    .join("\n");
  return { text: out, found };
}

/** The redactor the controller uses. */
export function redact(text: string): string {
  return redactSecrets(text).text;
}
