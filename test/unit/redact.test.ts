import { test } from "node:test";
import assert from "node:assert/strict";
import { redact, redactSecrets } from "../../src/core/redact.js";

// Fake secrets in the shapes of real ones (built from repeated characters so no scanner
// mistakes them for live credentials). Each line must lose `secret` and keep the rest.
const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const secrets: Array<[string, string]> = [
  [`OPENAI_API_KEY=sk-${rep("aB3dE5", 48)}`, `sk-${rep("aB3dE5", 48)}`],
  [`key = "sk-proj-${rep("Xy9_Zw", 60)}"`, `sk-proj-${rep("Xy9_Zw", 60)}`],
  [`anthropic: sk-ant-api03-${rep("Qw7-Er", 90)}`, `sk-ant-api03-${rep("Qw7-Er", 90)}`],
  [`stripe.api_key = "sk_live_${rep("4eC39H", 24)}"`, `sk_live_${rep("4eC39H", 24)}`],
  [`const pk = "rk_test_${rep("51Hq", 30)}";`, `rk_test_${rep("51Hq", 30)}`],
  [`maps?key=AIza${rep("Sy3_x-", 35)}&q=1`, `AIza${rep("Sy3_x-", 35)}`],
  [`git clone https://ghp_${rep("A1b2C3", 36)}@github.com/o/r`, `ghp_${rep("A1b2C3", 36)}`],
  [`token: gho_${rep("Z9y8X7", 36)}`, `gho_${rep("Z9y8X7", 36)}`],
  [`GH_TOKEN=github_pat_${rep("11ABC_de", 82)}`, `github_pat_${rep("11ABC_de", 82)}`],
  [`glpat-${rep("x1Y2z3", 20)} is my gitlab token`, `glpat-${rep("x1Y2z3", 20)}`],
  [`SLACK_BOT=xoxb-${rep("1234-", 40)}abc`, `xoxb-${rep("1234-", 40)}abc`],
  [`xoxp-${rep("98765-", 30)}x`, `xoxp-${rep("98765-", 30)}x`],
  [`hook https://hooks.slack.com/services/T0${rep("A", 8)}/B0${rep("B", 8)}/${rep("cD", 24)}`, `https://hooks.slack.com/services/T0${rep("A", 8)}/B0${rep("B", 8)}/${rep("cD", 24)}`],
  [`aws_access_key_id = AKIA${rep("IOSFODNN7", 16)}`, `AKIA${rep("IOSFODNN7", 16)}`],
  [`"AccessKeyId": "ASIA${rep("Z2X3C4V5", 16)}"`, `ASIA${rep("Z2X3C4V5", 16)}`],
  [`aws_secret_access_key = ${rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)}`, rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)],
  [`Authorization: Bearer eyJ${rep("hbGciOi", 20)}.eyJ${rep("zdWIiOi", 30)}.${rep("SflKxw", 43)}`, `eyJ${rep("hbGciOi", 20)}.eyJ${rep("zdWIiOi", 30)}.${rep("SflKxw", 43)}`],
  [`jwt=eyJ${rep("0eXAi", 16)}.eyJ${rep("pc3Mi", 24)}.${rep("dBjf", 32)}`, `eyJ${rep("0eXAi", 16)}.eyJ${rep("pc3Mi", 24)}.${rep("dBjf", 32)}`],
  [`-----BEGIN RSA PRIVATE KEY-----\nMIIE${rep("pAIBAAKCAQEA", 200)}\n-----END RSA PRIVATE KEY-----`, `MIIE${rep("pAIBAAKCAQEA", 200)}`],
  [`-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl${rep("bnNzaC1rZXk", 120)}\n-----END OPENSSH PRIVATE KEY-----`, `b3Bl${rep("bnNzaC1rZXk", 120)}`],
  [`-----BEGIN PRIVATE KEY-----\nMC4C${rep("AQAwBQYDK2Vw", 40)}\n-----END PRIVATE KEY-----`, `MC4C${rep("AQAwBQYDK2Vw", 40)}`],
  [`-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdG${rep("BF1x", 80)}\n-----END PGP PRIVATE KEY BLOCK-----`, `lQdG${rep("BF1x", 80)}`],
  [`HF_TOKEN=hf_${rep("aBcDeFgHiJ", 34)}`, `hf_${rep("aBcDeFgHiJ", 34)}`],
  [`//registry.npmjs.org/:_authToken=npm_${rep("Ab12Cd34", 36)}`, `npm_${rep("Ab12Cd34", 36)}`],
  [`password=pypi-AgEIcHlwaS5vcmc${rep("CJDk2", 60)}`, `pypi-AgEIcHlwaS5vcmc${rep("CJDk2", 60)}`],
  [`SENDGRID=SG.${rep("ngeVfQFY", 22)}.${rep("X1y2Z3", 43)}`, `SG.${rep("ngeVfQFY", 22)}.${rep("X1y2Z3", 43)}`],
  [`do token dop_v1_${rep("a1b2c3d4", 64)}`, `dop_v1_${rep("a1b2c3d4", 64)}`],
  [`shpat_${rep("0a1b2c3d", 32)}`, `shpat_${rep("0a1b2c3d", 32)}`],
  [`mailgun key-${rep("3ax6xnjp", 32)}`, `key-${rep("3ax6xnjp", 32)}`],
  [`bot 123456789:AA${rep("Gx-Hy_Iz", 33)}`, `123456789:AA${rep("Gx-Hy_Iz", 33)}`],
  [`DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${rep("Eby8vdM02xNOcqFl", 88)};EndpointSuffix=core.windows.net`, rep("Eby8vdM02xNOcqFl", 88)],
  [`DATABASE_URL=postgres://admin:S3cr3tPass@db.internal:5432/app`, "S3cr3tPass"],
  [`mongodb+srv://user:hunter2hunter2@cluster0.example.net/db`, "hunter2hunter2"],
  [`DB_PASSWORD=correct-horse-battery`, "correct-horse-battery"],
  [`export CLIENT_SECRET="a8f5f167f44f4964e6c998dee827110c"`, "a8f5f167f44f4964e6c998dee827110c"],
  [`"password": "p@ssw0rd!2024"`, "p@ssw0rd!2024"],
  [`api_key: 'zq81-PLm0-77aa-x9'`, "zq81-PLm0-77aa-x9"],
  [`secret_token := "Tk_9f8e7d6c5b4a"`, "Tk_9f8e7d6c5b4a"],
  [`twilio SK${rep("0123456789abcdef", 32)}`, `SK${rep("0123456789abcdef", 32)}`],
];

// Text that looks a little like a secret and must reach the teacher unchanged.
const lookAlikes = [
  "import sklearn  # sk-learn is a library",
  "a risk-free, task-oriented sk-8 plan",
  "The key-value store maps key-1 to value-1",
  "max_tokens = 512",
  "tokenizer = AutoTokenizer.from_pretrained(name)",
  "password = ''",
  'password: ""',
  "DB_PASSWORD=${DB_PASSWORD}",
  "const apiKey = process.env.OPENAI_API_KEY;",
  "api_key = os.environ['API_KEY']",
  "token = get_token()",
  "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
  "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----",
  "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
  "id: 123e4567-e89b-12d3-a456-426614174000",
  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "The user enters a password of at least 12 characters.",
  "Use a Bearer token in the Authorization header.",
  "auth_mode = 'oauth'",
  "passwordField.value = input.value",
  "secret = true",
  "TOKEN_TTL=3600",
  "eyJ is how a JWT begins",
  "AKIA is the prefix of an AWS key id",
  "ghp_ is the prefix of a GitHub token",
  "x = 17 * 23 = 391",
  "\\boxed{\\frac{3}{4}}",
  "https://example.com/path?query=1",
  "ssh://git@github.com/owner/repo.git",
  "http://localhost:8080/v1/completions",
  "const token_count = tokens.length;",
  "password_hash = bcrypt.hash(pw)",
  "secret_key_base = Rails.application.credentials.secret_key_base",
  "xoxb is a Slack prefix",
  "let skTotal = sk-1",
];

test("redaction corpus: every secret shape is removed and the rest survives", () => {
  assert.ok(secrets.length >= 30);
  for (const [line, secret] of secrets) {
    const { text, found } = redactSecrets(line);
    assert.ok(!text.includes(secret), `secret survived in: ${text}`);
    assert.ok(found.length > 0, line);
    assert.match(text, /\[REDACTED [^\]]+ [0-9a-f]{8}\]/, line);
  }
});

test("redaction keeps what surrounds a secret", () => {
  assert.match(redact("DATABASE_URL=postgres://admin:S3cr3tPass@db:5432/app"), /^DATABASE_URL=postgres:\/\/admin:\[REDACTED url-password [0-9a-f]{8}\]@db:5432\/app$/);
  assert.match(redact('export CLIENT_SECRET="a8f5f167f44f4964"  # prod'), /^export CLIENT_SECRET="\[REDACTED client_secret [0-9a-f]{8}\]" {2}# prod$/);
  assert.match(redact("before\n-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\nafter"), /^before\n\[REDACTED private-key [0-9a-f]{8}\]\nafter$/);
});

test("redaction corpus: look-alikes pass unchanged", () => {
  assert.ok(lookAlikes.length >= 30);
  for (const line of lookAlikes) assert.equal(redact(line), line);
});

test("redaction is deterministic and keeps distinct secrets apart", () => {
  const a = `k1=sk-${"a".repeat(40)} k2=sk-${"b".repeat(40)}`;
  const once = redact(a);
  assert.equal(redact(a), once);
  const placeholders = once.match(/\[REDACTED [^\]]+\]/g) ?? [];
  assert.equal(placeholders.length, 2);
  assert.notEqual(placeholders[0], placeholders[1]);
  // Redacting a longer text keeps the earlier part byte-identical (prefix caching).
  assert.ok(redact(a + " and more text").startsWith(once));
  assert.equal(redact(once), once);
});

test("redaction takes time linear in the text: 200 KB of base64, dashed words, dotted chains, key footers", () => {
  // Every text is redacted whole before it is cut for the teacher, so a rule that retries at every
  // position (a key tail searched forwards took 100 s on 200 KB of base64) would stall a request.
  const b64 = Array.from({ length: 200_000 }, (_, i) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7919) % 64]).join("");
  const texts = {
    base64: `data:image/png;base64,${b64}`,
    "dashed words": `--${"a-".repeat(100_000)}`,
    "dotted chains": `${"a.".repeat(100_000)}(`,
    "key footers": "x\n-----END PRIVATE KEY-----\n".repeat(8_000),
    "cookie headers": "cookie: a ".repeat(20_000),
  };
  for (const [name, text] of Object.entries(texts)) {
    const start = performance.now();
    redact(text);
    const ms = performance.now() - start;
    assert.ok(ms < 3000, `${name}: ${ms.toFixed(0)} ms`);
  }
});
