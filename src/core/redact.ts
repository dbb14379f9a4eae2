/**
 * Secret redaction for everything sent to a teacher. Deterministic: the same secret always
 * becomes the same placeholder, so consecutive requests keep a byte-identical prefix. Every
 * rule runs in time linear in the text: the whole prompt is redacted before it is cut.
 *
 * Rules come in families (the classes of gitleaks' default rules and secretlint's recommended
 * preset, measured on a table of fake secrets and look-alikes, see test/unit/redactTable.test.ts):
 * - whole blocks: private keys (PEM, OpenSSH, PGP, PuTTY .ppk), also inside JSON strings;
 * - credential files: .pgpass lines, AWS credentials.csv rows, NuGet `<add key= value=>`,
 *   Kubernetes Secret `data:`;
 * - provider key formats: fixed prefixes and shapes (OpenAI, Anthropic, Stripe incl. webhook
 *   secrets, GitHub, GitLab, Slack, Discord, AWS, Azure AD, Google, Hugging Face, npm, PyPI, ...);
 * - chat services' incoming webhooks (Slack, Discord, Teams, Mattermost, Telegram, Lark, ...);
 * - credentials in URLs and headers: `user:password@` (a password may hold `/` or `@`),
 *   secret query parameters (`sig=`, `access_token=`, ...), `Authorization: Basic|Bearer|SSWS|...`,
 *   API-key headers, session cookies, `curl -u user:pass`, netrc;
 * - passwords on command lines (`--password=…`, `mysql -pPASS`, `redis-cli -a`, `az login -p`)
 *   and in code (`auth=("user", "pass")`, a wallet's private key passed to its library);
 * - key = value in config formats (.env, YAML, JSON, TOML, properties, XML, connection
 *   strings, kubeconfig `*-key-data`, Docker `auth`), for secret-like names (DB_PASS too);
 * - high-entropy values next to secret-like words on the same line.
 * Look-alikes stay: hashes (go.sum `h1:`, lockfile integrity) and UUIDs, public keys, type
 * declarations (`password: string`), references (`${VAR}`, `process.env.X`, `secrets.X`),
 * placeholders, and setting names whose values are not secrets (`"token_type": "bearer"`,
 * `PASSWORD_RESET_URL=https://…`, `AUTH_TOKEN_HEADER=X-Auth-Token`).
 */
import { fnv1a } from "./hash.js";

interface SecretRule {
  kind: string;
  pattern: RegExp;
  /** Index of the capture group holding the secret (0: the whole match); a list: the first set. */
  group?: number | number[];
  /** A last check on the secret (placeholders, references). */
  accept?: (secret: string) => boolean;
}

const B64 = "A-Za-z0-9+/";
/** A line break inside a key block: real, or escaped inside a JSON string. */
const PEM_BREAK = String.raw`(?:\r?\n|(?:\\r)?\\n)`;
/** A command-line value: double-quoted, single-quoted or bare (three capture groups). */
const ARG = String.raw`(?:"([^"\n]{3,})"|'([^'\n]{3,})'|([^\s"'|;&<>()\x60]{3,}))`;
/** The groups of the first ARG in a pattern whose earlier groups number `before`. */
const argGroups = (before = 0) => [before + 1, before + 2, before + 3];
/** A password typed on a command line: not a reference, a placeholder or a file. */
const isArgSecret = (s: string) => !isReference(s) && !/^(?:~|\.{1,2})?\/[\w.-]/.test(s) && !/^(?:password|passwd|secret|token|pass|pw)$/i.test(s);
/** A tool's name, then anything on the same command line before its flag. */
const tool = (names: string) => String.raw`(?:^|(?<=[\s;&|(]))(?:${names})\b[^\n]{0,300}?\s`;

const KEY_FOOTER = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g;
/** Key lines read backwards from a footer: each ends with a real or escaped line break (reversed). */
const KEY_LINES_BACKWARDS = new RegExp(String.raw`^(?:(?:\n\r?|n\\(?:r\\)?)[${B64}=]{8,}(?=\n|n\\|[^${B64}=\\]|$))+`);
/** How far before a footer its lines are looked for (keys are a few KB). */
const KEY_TAIL_WINDOW = 65536;

/**
 * The lines of a key block before its footer when its header is not in the text (a selection, a
 * file cut short). Read backwards from each footer: a regex that searched forwards for them
 * would retry at every position of a long base64 text (quadratic: minutes for 200 KB).
 */
function redactKeyTails(text: string, found: string[]): string {
  let out = "";
  let done = 0;
  let previous = 0; // the end of the previous footer: a block's lines start after it
  for (const footer of text.matchAll(KEY_FOOTER)) {
    const at = footer.index;
    const from = Math.max(previous, at - KEY_TAIL_WINDOW);
    previous = at + footer[0].length;
    const lines = KEY_LINES_BACKWARDS.exec(text.slice(from, at).split("").reverse().join(""));
    if (!lines) continue;
    const start = at - lines[0].length;
    const end = at + footer[0].length;
    found.push("private-key");
    out += text.slice(done, start) + placeholder("private-key", text.slice(start, end));
    done = end;
  }
  return done === 0 ? text : out + text.slice(done);
}

// Order matters: whole blocks first, then provider-specific shapes, then URLs and headers, then
// command lines and code.
const RULES: SecretRule[] = [
  { kind: "private-key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  // Only part of a block (a selection, a file cut short): the header with the lines after it
  // (an encrypted key's Proc-Type/DEK-Info first), or the lines before a footer. Lines may be
  // joined by real or escaped newlines (a key inside a JSON string).
  { kind: "private-key", pattern: new RegExp(String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:${PEM_BREAK}[A-Za-z-]+: [^\n\\]*)*(?:${PEM_BREAK})*(?:${PEM_BREAK}[${B64}=]{8,})+`, "g") },
  // (The lines before a footer: redactKeyTails, which reads them backwards from the footer.)
  // A PuTTY .ppk file: the lines after Private-Lines (its public lines stay).
  { kind: "putty-private-key", pattern: new RegExp(String.raw`\bPrivate-Lines: *\d+${PEM_BREAK}([${B64}=]+(?=${PEM_BREAK}|["']|$)(?:${PEM_BREAK}[${B64}=]+(?=${PEM_BREAK}|["']|$))*)`, "g"), group: 1 },
  { kind: "age-secret-key", pattern: /\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b/g },
  { kind: "1password-key", pattern: /\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b/g },
  { kind: "1password-token", pattern: /\bops_eyJ[A-Za-z0-9+/]{100,}={0,3}/g },
  // Credential files: a .pgpass line (host:port:database:user:password), an AWS credentials.csv
  // row (the secret after its access key id), NuGet and .NET appSettings `<add key= value=>`.
  { kind: "pgpass", pattern: /^(?!\d*:)(?:\*|[A-Za-z0-9.-]+):(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:(\S+?)[ \t\r]*$/gm, group: 1, accept: (s) => s.length >= 3 && !isReference(s) },
  { kind: "aws-secret-key", pattern: /(?<=\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}["']?[ \t]*[,;\t|: ][ \t]*["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g },
  { kind: "xml-add-secret", pattern: /<add\s+key="[^"]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|connection[_-]?string)[^"]*"\s+value="([^"]{4,})"/gi, group: 1, accept: (s) => !isReference(s) },
  // AI providers
  { kind: "anthropic-key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: "openai-key", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: "groq-key", pattern: /\bgsk_[A-Za-z0-9]{40,}\b/g },
  { kind: "xai-key", pattern: /\bxai-[A-Za-z0-9]{50,}\b/g },
  { kind: "replicate-token", pattern: /\br8_[A-Za-z0-9]{30,}\b/g },
  { kind: "perplexity-key", pattern: /\bpplx-[A-Za-z0-9]{40,}\b/g },
  { kind: "huggingface-token", pattern: /\b(?:hf_|api_org_)[A-Za-z0-9]{30,}\b/g },
  { kind: "cohere-key", pattern: /\bco_api_key\b["']?\s*[:=]\s*["']?([A-Za-z0-9]{40})\b/gi, group: 1 },
  { kind: "aws-bedrock-key", pattern: /\bABSK[A-Za-z0-9+/]{100,}={0,2}/g },
  // Payments and commerce
  { kind: "stripe-key", pattern: /\b(?:sk|rk|pk)_(?:live|test|prod)_[A-Za-z0-9]{16,}/g },
  { kind: "stripe-webhook-secret", pattern: /\bwhsec_[A-Za-z0-9]{24,}/g },
  { kind: "square-token", pattern: /\b(?:sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{22,}|EAAA[A-Za-z0-9_-]{60})\b/g },
  { kind: "braintree-token", pattern: /\baccess_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}\b/g },
  { kind: "shopify-token", pattern: /\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b/g },
  { kind: "flutterwave-key", pattern: /\bFLW(?:SECK|PUBK)(?:_TEST)?-[a-hA-H0-9]{12,32}(?:-X)?\b/g },
  { kind: "duffel-token", pattern: /\bduffel_(?:test|live)_[A-Za-z0-9_=-]{43}/g },
  { kind: "easypost-key", pattern: /\bEZ[AT]K[A-Za-z0-9]{54}\b/g },
  { kind: "shippo-token", pattern: /\bshippo_(?:live|test)_[a-fA-F0-9]{40}\b/g },
  { kind: "plaid-token", pattern: /\baccess-(?:sandbox|development|production)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\b/g },
  // Code hosting, CI, registries
  { kind: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { kind: "github-pat", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g },
  { kind: "gitlab-token", pattern: /\b(?:gl(?:pat|dt|rt|ptt|soat|cbt|imt|agent|ffct|ft|oas)-[A-Za-z0-9_.-]{20,}|GR1348941[A-Za-z0-9_-]{20,})/g },
  { kind: "gitlab-session", pattern: /\b_gitlab_session=([a-z0-9]{32})\b/g, group: 1 },
  { kind: "npm-token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "pypi-token", pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: "docker-pat", pattern: /\bdckr_pat_[A-Za-z0-9_-]{24,}/g },
  { kind: "jfrog-key", pattern: /\b(?:AKCp[A-Za-z0-9]{60,}|cmVmd[A-Za-z0-9]{59})\b/g },
  { kind: "terraform-token", pattern: /\b[a-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}/g },
  { kind: "pulumi-token", pattern: /\bpul-[a-f0-9]{40}\b/g },
  { kind: "vault-token", pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g },
  { kind: "doppler-token", pattern: /\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/g },
  { kind: "rubygems-token", pattern: /\brubygems_[a-f0-9]{48}\b/g },
  { kind: "clojars-token", pattern: /\bCLOJARS_[A-Za-z0-9]{60}\b/gi },
  { kind: "readme-key", pattern: /\brdme_[a-z0-9]{70}\b/g },
  { kind: "prefect-key", pattern: /\bpnu_[A-Za-z0-9]{36}\b/g },
  { kind: "infracost-key", pattern: /\bico-[A-Za-z0-9]{32}\b/g },
  { kind: "octopus-key", pattern: /\bAPI-[A-Z0-9]{26}\b/g },
  { kind: "sourcegraph-token", pattern: /\bsgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}\b/g },
  { kind: "sentry-token", pattern: /\b(?:sntryu_[a-f0-9]{64}\b|sntrys_eyJ[A-Za-z0-9+/=_]{40,})/g },
  { kind: "flyio-token", pattern: /\b(?:fo1_[\w-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})/g },
  { kind: "planetscale-token", pattern: /\bpscale_(?:tkn|oauth|pw)_[\w=.-]{32,64}/g },
  { kind: "scalingo-token", pattern: /\btk-us-[\w-]{48}\b/g },
  { kind: "harness-token", pattern: /\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}\b/g },
  { kind: "settlemint-token", pattern: /\bsm_(?:aat|pat|sat)_[A-Za-z0-9]{16}\b/g },
  { kind: "authress-key", pattern: /\b(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120}/g },
  { kind: "openshift-token", pattern: /\bsha256~[\w-]{43}(?![\w-])/g },
  // Chat, mail, messaging
  { kind: "slack-token", pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "slack-app-token", pattern: /\bxapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}\b/g },
  { kind: "slack-webhook", pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,}/g },
  { kind: "discord-webhook", pattern: /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[A-Za-z0-9_-]{30,}/g },
  // Chat services' incoming webhooks: the URL is the credential.
  { kind: "teams-webhook", pattern: /https:\/\/(?:[a-z0-9-]+\.webhook\.office\.com\/webhookb2|outlook\.office(?:365)?\.com\/webhook)\/([^\s"'<>`]{20,})/gi, group: 1 },
  { kind: "telegram-bot-token", pattern: /\bapi\.telegram\.org\/(?:file\/)?bot(\d{6,12}:[A-Za-z0-9_-]{30,})/g, group: 1 },
  { kind: "lark-webhook", pattern: /\bopen\.(?:feishu\.cn|larksuite\.com)\/open-apis\/bot\/v2\/hook\/([A-Za-z0-9-]{20,})/g, group: 1 },
  { kind: "zapier-webhook", pattern: /\bhooks\.zapier\.com\/hooks\/catch\/(\d+\/[A-Za-z0-9]+)/g, group: 1 },
  { kind: "ifttt-key", pattern: /\bmaker\.ifttt\.com\/(?:trigger\/[^\s/]+\/with\/key|use)\/([A-Za-z0-9_-]{16,})/g, group: 1 },
  // Mattermost, Rocket.Chat, Webex and others: a token path after /hooks/ or /webhooks/.
  { kind: "webhook-url", pattern: /https?:\/\/[^\s/"'<>]+\/(?:[^\s?#"'<>]*\/)?(?:hooks|webhooks?)\/((?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]{20,})/gi, group: 1, accept: (s) => /\d.*\d/.test(s) && /[A-Za-z]/.test(s) },
  { kind: "discord-bot-token", pattern: /\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b/g },
  { kind: "telegram-bot-token", pattern: /\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b/g },
  { kind: "sendgrid-key", pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g },
  { kind: "brevo-key", pattern: /\bx(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}\b/g },
  { kind: "mailgun-key", pattern: /\b(?:key|pubkey)-[a-z0-9]{32}\b/g },
  { kind: "mailchimp-key", pattern: /\b[a-f0-9]{32}-us\d{1,2}\b/g },
  { kind: "twilio-key", pattern: /\bSK[0-9a-f]{32}\b/g },
  // Cloud and SaaS
  { kind: "aws-access-key", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "google-oauth-secret", pattern: /\bGOCSPX-[A-Za-z0-9_-]{28}\b/g },
  // Azure AD client secrets: three characters, a digit, "Q~", then 31 to 34 more.
  { kind: "azure-client-secret", pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g },
  { kind: "alibaba-key-id", pattern: /\bLTAI[A-Za-z0-9]{20}\b/g },
  { kind: "yandex-key", pattern: /\b(?:AQVN[A-Za-z0-9_-]{35,38}|t1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{86}={0,2})/g },
  { kind: "cloudflare-ca-key", pattern: /\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}\b/g },
  { kind: "clickhouse-key", pattern: /\b4b1d[A-Za-z0-9]{38}\b/g },
  { kind: "dynatrace-token", pattern: /\bdt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}\b/g },
  { kind: "heroku-key", pattern: /\bHRKU-AA[0-9A-Za-z_-]{58}\b/g },
  { kind: "facebook-token", pattern: /\bEAA[MC][A-Za-z0-9]{100,}/g },
  { kind: "adobe-secret", pattern: /\bp8e-[A-Za-z0-9]{32}\b/g },
  { kind: "frameio-token", pattern: /\bfio-u-[A-Za-z0-9_=-]{64}/g },
  { kind: "maxmind-key", pattern: /\b[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b/g },
  { kind: "intra42-secret", pattern: /\bs-s4t2(?:ud|af)-[a-f0-9]{64}\b/g },
  { kind: "mapbox-secret-token", pattern: /\bsk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/g },
  { kind: "digitalocean-token", pattern: /\bdo[pro]_v1_[a-f0-9]{64}\b/g },
  { kind: "databricks-token", pattern: /\bdapi[a-f0-9]{32}(?:-\d)?\b/g },
  { kind: "atlassian-token", pattern: /\bATATT3[A-Za-z0-9_=-]{100,}/g },
  { kind: "linear-key", pattern: /\blin_api_[A-Za-z0-9]{40}\b/g },
  { kind: "notion-token", pattern: /\b(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,})\b/g },
  { kind: "postman-key", pattern: /\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g },
  { kind: "grafana-token", pattern: /\b(?:gl(?:sa|c)_[A-Za-z0-9_=+/-]{32,}|eyJrIjoi[A-Za-z0-9]{70,400}={0,3})/g },
  { kind: "newrelic-key", pattern: /\bNR(?:AK|II|JS)-[A-Za-z0-9]{19,}\b/g },
  { kind: "supabase-token", pattern: /\bsbp_[a-f0-9]{40}\b/g },
  { kind: "figma-token", pattern: /\bfigd_[A-Za-z0-9_-]{40,}/g },
  { kind: "airtable-token", pattern: /\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b/g },
  { kind: "dropbox-token", pattern: /\bsl\.[A-Za-z0-9_-]{120,}/g },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "azure-account-key", pattern: /\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=([A-Za-z0-9+/=%&:-]{20,})/g, group: 1 },
  // Credentials in URLs: user:password@host, the password may hold "/", "@" or ":".
  { kind: "url-password", pattern: /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@]*:(\S+?)@(?=[A-Za-z0-9.-]+(?::\d+)?(?:[/?#\s"'`]|$))(?!\S*@[A-Za-z0-9.-]+(?::\d+)?(?:[/?#\s"'`]|$))/gi, group: 1, accept: (s) => s.length >= 3 && !isReference(s) },
  // Secret query parameters (Azure SAS sig=, OAuth tokens, signed URLs).
  {
    kind: "url-secret-param",
    pattern: /[?&](?:sig|signature|x-amz-signature|x-goog-signature|access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|secret|client_secret|password|passwd|pwd|auth|code_verifier)=([^&\s#"'`<>]{8,})/gi,
    group: 1,
    accept: (s) => !isReference(s) && /\d/.test(s) && /[A-Za-z]/.test(s),
  },
  // Headers: Okta's SSWS, Azure's SharedKey, Splunk, Kerberos and NTLM schemes too.
  { kind: "authorization", pattern: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token|bot|digest|apikey|api-key|sso-key|key|ssws|sharedkey|sharedkeylite|splunk|negotiate|ntlm|dpop|gitlab|otoken|hmac)\s+([A-Za-z0-9+/=._~:-]{8,})/gi, group: 1, accept: (s) => !isReference(s) },
  { kind: "bearer-token", pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g, group: 1, accept: (s) => !isReference(s) },
  { kind: "api-key-header", pattern: /\b(?:x-api-key|api-key|x-auth-token|x-access-token|x-goog-api-key|ocp-apim-subscription-key|x-functions-key|private-token|x-vault-token)["']?\s*:\s*["']?([A-Za-z0-9+/=._~-]{12,})/gi, group: 1, accept: (s) => !isReference(s) && /\d/.test(s) },
  { kind: "curl-user", pattern: /(?:\s-u|--user)\s+["']?[^\s:"']+:([^\s"']{3,})/g, group: 1, accept: (s) => !isReference(s) },
  // Cookies holding a session or a token.
  { kind: "session-cookie", pattern: /\b(?:set-)?cookie["']?\s*:\s*(?:[^\s;=]{1,60}=[^;\n]{0,4096};\s*){0,50}?[\w.-]{0,40}(?:sess|sid|auth|token|jwt|remember)[\w.-]{0,40}=([^;\s"',]{16,})/gi, group: 1, accept: (s) => !isReference(s) && /\d/.test(s) },
  { kind: "netrc-password", pattern: /\bmachine\s+\S+\s+login\s+\S+\s+password\s+(\S+)/g, group: 1 },
  // Passwords on command lines: long flags of any tool (`--password=…`, `--token …`), and the
  // short flags of the tools that take one (`mysql -pPASS`, `redis-cli -a PASS`, `az login -p`).
  { kind: "cli-password", pattern: new RegExp(String.raw`(?:^|\s)--(?:[\w-]{0,40}-)?(?:password|passwd|pass|pwd|passphrase|secret|token|api-?key|access-?key|secret-?key|client-secret|auth-token|oauth2-bearer|bearer)(?:=|\s+)${ARG}`, "gi"), group: argGroups(), accept: (s) => isArgSecret(s) && /[^A-Za-z]/.test(s) },
  { kind: "cli-password", pattern: new RegExp(tool("mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlsh|mariadb(?:-dump|-admin|-import|-check)?|7z|7za|7zz|rar|unrar") + String.raw`-p${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(tool("redis-cli|keydb-cli|valkey-cli") + String.raw`-a\s+${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(tool(String.raw`az\s+login|sshpass|mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop|(?:docker|podman|buildah|skopeo|nerdctl|oras|helm\s+registry)\s+login`) + String.raw`-p\s*${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(tool("sqlcmd|bcp|osql|ipmitool|zip") + String.raw`-P\s*${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(tool("ldapsearch|ldapadd|ldapmodify|ldapdelete|ldapwhoami|ldappasswd|ldapcompare|ldapmodrdn") + String.raw`-w\s+${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(tool("smbclient|rpcclient|smbmap|net") + String.raw`(?:-U|--user(?:name)?=?)\s*["']?[^\s%"']+%([^\s"'\x60]{3,})`, "g"), group: 1, accept: isArgSecret },
  // openssl's `-passin pass:…`, keytool's `-storepass …`, `htpasswd -b file user password`.
  { kind: "cli-password", pattern: /\s-pass(?:in|out)?\s+["']?pass:([^\s"'`]{3,})/g, group: 1, accept: isArgSecret },
  { kind: "cli-password", pattern: new RegExp(String.raw`\s-(?:src|dest)?(?:store|key)pass\s+${ARG}`, "g"), group: argGroups(), accept: isArgSecret },
  { kind: "cli-password", pattern: /\bhtpasswd\s+-\w*b\w*\s+(?:\S+\s+){2}["']?([^\s"'`]{3,})/g, group: 1, accept: isArgSecret },
  // Oracle tools: user/password@database.
  { kind: "cli-password", pattern: /\b(?:sqlplus|rman|expdp|impdp|sqlldr)\s+(?:-\w+\s+)*["']?[\w$#]+\/([^\s@/"'`]{3,})(?=@|["'`]?(?:\s|$))/g, group: 1, accept: isArgSecret },
  // Credentials in code: a basic-auth pair (`auth=("user", "pass")`, `HTTPBasicAuth(u, p)`,
  // `SetBasicAuth`, `new NetworkCredential(u, p)`, Guzzle's `'auth' => [u, p]`).
  {
    kind: "basic-auth-pair",
    pattern: /\b(?:auth|basic_?auth|(?:HTTP)?(?:Basic|Digest|Proxy)Auth|(?:set|with)_?basic_?auth|NetworkCredential|UsernamePassword(?:Credentials|AuthenticationToken)|PasswordAuthentication|PasswordCredential|login|authenticate)["']?\s*(?:=>|[=:])?\s*[([]\s*["'`]([^"'`\n]+)["'`]\s*,\s*(?:Some\(\s*)?["'`]([^"'`\s]{3,})["'`]/gi,
    group: 2,
    accept: (s) => !isReference(s) && !/^(?:password|passwd|pass|secret|pw|username|user)$/i.test(s),
  },
  // A wallet's private key passed to the library that signs with it (ethers, web3, viem,
  // eth_account, Solana, bitcoinjs): 64 hex digits, base58, or a 64-byte array.
  {
    kind: "wallet-private-key",
    pattern: /\b[\w$]{0,40}(?:Wallet|Signer|SigningKey|PrivateKey|private_key|SecretKey|secret_key|Keypair|KeyPair|key_pair|from_?key|privateKeyTo\w*|fromWIF|from_wif|fromSeed|from_seed)[\w$]{0,40}\s*\(\s*(?:new\s+)?(?:[\w$.]+\(\s*)*(?:\{\s*[\w$]+\s*:\s*)?["'`]((?:0x)?[a-fA-F0-9]{64}|[1-9A-HJ-NP-Za-km-z]{50,90})["'`]/gi,
    group: 1,
  },
  { kind: "wallet-private-key", pattern: /\b(?:fromSecretKey|from_secret_key|from_bytes|fromSeed)\s*\(\s*(?:new\s+)?(?:Uint8Array(?:\.from)?\s*\(\s*)?(?:bytes\s*\(\s*)?\[((?:\s*\d{1,3}\s*,){31,}\s*\d{1,3}\s*)\]/g, group: 1 },
  { kind: "xml-secret", pattern: /<((?:[\w-]*:)?(?:password|passwd|secret|token|api[_-]?key|apikey|client[_-]?secret|access[_-]?key|private[_-]?key))>([^<\s]{6,})<\/\1>/gi, group: 2, accept: (s) => !isReference(s) },
];

/** Key names whose values are secret (a word inside a longer name counts: DB_PASSWORD). */
const SECRET_WORDS = String.raw`password|passwd|passphrase|pwd|secret|token(?!s|i[sz]e)|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|key[_-]?data|signing[_-]?key|encryption[_-]?key|master[_-]?key|session[_-]?key|account[_-]?key|conn(?:ection)?[_-]?string|dsn|webhook[_-]?url|creds|passcode|mnemonic|seed[_-]?phrase`;
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]{0,60}(?:${SECRET_WORDS})[A-Za-z0-9_.-]{0,60}`;
const SECRET_NAME = new RegExp(`^${SECRET_KEY}$`, "i");
/**
 * Names whose last word is secret on its own: DB_PASS, smtpPw, a Wi-Fi psk, Docker's "auth" and
 * npm's "_auth" (only alone: not auth_mode), a provider's *_KEY (with a stricter value check).
 */
const WORD_KEY = String.raw`[A-Za-z0-9_.-]{0,60}(?:pass|pw|psk|auth|key)`;
/** A type annotation before the value: `password: string = "…"`, `val apiKey: String = "…"`. */
const TYPE_ANNOTATION = String.raw`(?:[ \t]*:[ \t]*[A-Za-z_][\w.]*(?:<[^<>\n=]*>|\[[^[\]\n=]*\])?[?!]?(?=[ \t]*=[^=>]))?`;
/** `KEY=value`, `key: "value"`, `"key": "value"`, `key = 'value'` (value captured). */
const ASSIGNMENT = new RegExp(String.raw`(?<!:[ \t]+)(["']?)\b(${SECRET_KEY}|${WORD_KEY})\1${TYPE_ANNOTATION}[ \t]*(?::=|=>|=|:)[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"',;#\x60]+))`, "gi");

/** The last word of a name: DB_PASS → pass, smtpPw → pw, compass → compass. */
function lastWord(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[\s_.-]+/).filter(Boolean).pop()?.toLowerCase() ?? "";
}

/** `*_KEY` names that hold no secret: public keys, database and cache keys. */
const PLAIN_KEY_NAME = /(?:^|[_.-]|[a-z0-9](?=[A-Z]))(?:pub|public|primary|foreign|sort|partition|cache|lookup|hash|range|index|unique|composite|map|object|item|row|column|i18n|translation|message|idempotency|dedup|dedupe|group|routing|shard|react|hot|short|shortcut|keyboard|ssh|gpg|pgp|kms)[_.-]?key$/i;

/** A *_KEY value that is a secret: long, letters and digits, no spaces or separators of prose. */
function looksLikeKeyValue(value: string): boolean {
  if (value.length < 20 || !/^(?:base64:)?[A-Za-z0-9+/=_.-]+$/.test(value)) return false;
  if (!/\d/.test(value) || !/[A-Za-z]/.test(value)) return false;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false; // a UUID
  return entropy(value) >= 3.5;
}

/** A type where a bare value would be: `password: string`, `String`, `SecretStr`, `Optional[str]`. */
const TYPE_NAME = /^(?:string|number|boolean|bigint|any|unknown|never|object|symbol|str|bytes|int|bool|char|String|Str|Number|Boolean|Bool|Buffer|Bytes|Object|Secret(?:Str|String|Bytes)|[A-Z][A-Za-z0-9]*(?=[<[]))(?:[<[].*)?[?!]?(?:\[\])?$/;
/** A PascalCase name after `:` (`token: AccessToken;`): a type where code follows it (`;`, `,`, `}`). */
const TYPE_LIKE = /^[A-Z][A-Za-z0-9]*(?:[<[].*)?[?!]?(?:\[\])?$/;

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
  if (/^[~^<>=v]*\d+(?:\.\d+)+(?:-[\w.]+)?$/.test(value)) return false; // a version: "^9.0.2"
  if (/^(?:\.{0,2}\/)?[\w.-]+(?:\/[\w.-]+)*\.(?:[cm]?js|ts|json|ya?ml|toml|py|sh|txt|cfg|conf|ini|xml)$/.test(value)) return false; // a file: "bin/secretlint.js"
  if (/^(true|false|null|none|undefined|password|secret|token|bearer|basic|required|optional|enabled|disabled)$/i.test(value)) return false;
  if (/[()]/.test(value)) return false;
  if (/^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA/.test(value)) return false; // a public key
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

/** A quoted or assigned high-entropy token on a line that names a secret (not a public key). */
const SECRET_WORD_ON_LINE = new RegExp(String.raw`(?:${SECRET_WORDS}|\bauth\b|\bkey\b)`, "i");
const PUBLIC_KEY_WORDS = /pub(?:lic)?[ _-]?keys?/gi;
/** What comes before a token that is a public key or a hash: go.sum's `h1:`, an SSH key type. */
const NOT_SECRET_BEFORE = /(?:\bh1:|(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+)$/;
const HIGH_ENTROPY = new RegExp(String.raw`(?<=["'=:\s]|^)([${B64}_-]{24,}={0,2})(?=["'\s,;)]|$)`, "g");

function isHighEntropySecret(token: string): boolean {
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/\d/.test(token)) return false; // hex hashes and words stay
  if (/^[0-9a-f-]+$/i.test(token)) return false;
  if (/^(?:sha\d+|md5)-/i.test(token)) return false; // lockfile integrity hashes
  return entropy(token) >= 4.2;
}

/** A Kubernetes Secret's `data:` / `stringData:` values, whatever their names (`tls.key: LS0t…`). */
function redactKubernetesSecrets(text: string, found: string[]): string {
  const isSecret = /^[ \t-]*kind:[ \t]*["']?Secret["']?[ \t]*$/m;
  if (!isSecret.test(text)) return text;
  return text
    .split(/(?=^---)/m)
    .map((doc) => {
      if (!isSecret.test(doc)) return doc;
      const lines = doc.split("\n");
      let dataIndent = -1; // the `data:` line's indent while inside its block
      let scalarIndent = -1; // a key's indent while inside its `|` or `>` value
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (!line.trim()) continue;
        const indent = line.length - line.trimStart().length;
        if (scalarIndent >= 0 && indent > scalarIndent) {
          found.push("kubernetes-secret");
          lines[i] = line.slice(0, indent) + placeholder("kubernetes-secret", line.trim());
          continue;
        }
        scalarIndent = -1;
        if (dataIndent >= 0 && indent <= dataIndent) dataIndent = -1;
        if (dataIndent < 0) {
          const block = /^([ \t]*)(?:data|stringData):[ \t]*$/.exec(line);
          if (block) dataIndent = block[1].length;
          continue;
        }
        const entry = /^[ \t]+[\w.-]+:[ \t]*["']?(.*?)["']?[ \t\r]*$/.exec(line);
        const value = entry?.[1] ?? "";
        if (/^[|>][-+0-9]*$/.test(value)) scalarIndent = indent;
        else if (value && !value.includes("[REDACTED") && !isReference(value)) {
          found.push("kubernetes-secret");
          const at = line.lastIndexOf(value);
          lines[i] = line.slice(0, at) + placeholder("kubernetes-secret", value) + line.slice(at + value.length);
        }
      }
      return lines.join("\n");
    })
    .join("");
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

/** Key tails are redacted after the block rules, before the provider rules. */
const TAIL_AFTER = RULES.findIndex((r) => r.kind !== "private-key");

export function redactSecrets(text: string): RedactionResult {
  const found: string[] = [];
  let out = text;
  for (const [i, rule] of RULES.entries()) {
    if (i === TAIL_AFTER) out = redactKeyTails(out, found);
    out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      const index = Array.isArray(rule.group) ? rule.group.find((g) => groups[g - 1] !== undefined) : rule.group;
      const secret = index ? String(groups[index - 1] ?? "") : match;
      if (!secret || secret.startsWith("[REDACTED") || (rule.accept && !rule.accept(secret))) return match;
      found.push(rule.kind);
      const at = index ? match.lastIndexOf(secret) : 0;
      return match.slice(0, at) + placeholder(rule.kind, secret) + match.slice(at + secret.length);
    });
  }
  out = redactKubernetesSecrets(out, found);
  out = out.replace(ASSIGNMENT, (match: string, _q: string, key: string, dq: string | undefined, sq: string | undefined, bare: string | undefined, offset: number, whole: string) => {
    const value = dq ?? sq ?? bare ?? "";
    if (value.includes("[REDACTED") || !looksLikeSecretValue(value, key)) return match;
    // A declaration: `password: string`, `token: AccessToken;`.
    if (bare !== undefined && (TYPE_NAME.test(bare) || (TYPE_LIKE.test(bare) && /:[ \t]*$/.test(match.slice(0, -bare.length)) && /^[ \t]*[;,})|=]/.test(whole.slice(offset + match.length))))) return match;
    if (/^(?:old)?pwd$/i.test(key)) return match; // the shell's working directory
    // Code: `token = next?.token`, `token.map = [a, b]`, a variable (`token.markup = markup;`, not
    // a connection string's `Password=Hunter;`).
    const after = whole.slice(offset + match.length);
    const spaced = bare !== undefined && /\s$/.test(match.slice(0, -bare.length));
    if (bare !== undefined && (/\?\.|[[\]{}]/.test(bare) || (/^[A-Za-z_$]+$/.test(bare) && (/^\)/.test(after) || (spaced && /^[ \t]*;/.test(after)))))) return match;
    if (!SECRET_NAME.test(key)) {
      const word = lastWord(key);
      const secretWord = word === "pass" || word === "pw" || word === "psk" || /^_?auth$/i.test(key);
      const providerKey = word === "key" && lastWord(key) !== key.toLowerCase() && !PLAIN_KEY_NAME.test(key) && looksLikeKeyValue(value);
      if (!secretWord && !providerKey) return match;
    }
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
      if (!SECRET_WORD_ON_LINE.test(line.replace(/\[REDACTED [^\]]*\]/g, "").replace(PUBLIC_KEY_WORDS, ""))) return line;
      return line.replace(HIGH_ENTROPY, (token: string, _t: string, offset: number) => {
        if (!isHighEntropySecret(token) || NOT_SECRET_BEFORE.test(line.slice(0, offset))) return token;
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
