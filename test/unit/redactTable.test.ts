/**
 * The redaction table: fake secrets built from each family's real shapes (repeated patterns, so
 * no scanner takes them for live credentials) and look-alikes that must pass unchanged.
 * Measured: secrets caught / look-alikes kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { redact } from "../../src/core/redact.js";
import { seededRandom } from "../../src/core/random.js";

const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const hex = (n: number) => rep("a3f9c2e7b1d4", n);
const b64 = (n: number) => rep("Qm9Yx3Kp7Lz+Wv2/", n);
const alnum = (n: number) => rep("aB3dE5fG7hJ9kL2m", n);
/** Random characters (a seeded PRNG): the entropy of a real key, no provider's shape. */
const random = seededRandom(12);
const noise = (n: number, chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join("");
const R = [noise(32), noise(28, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), noise(30, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), noise(26, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")];

/** [family, line, the secret that must not survive]. */
const SECRETS: Array<[string, string, string]> = [
  // Provider key formats
  ["provider", `OPENAI_API_KEY=sk-${alnum(48)}`, `sk-${alnum(48)}`],
  ["provider", `client = OpenAI(api_key="sk-proj-${alnum(64)}")`, `sk-proj-${alnum(64)}`],
  ["provider", `x-api-key: sk-ant-api03-${alnum(93)}`, `sk-ant-api03-${alnum(93)}`],
  ["provider", `GROQ=gsk_${alnum(52)}`, `gsk_${alnum(52)}`],
  ["provider", `grok("xai-${alnum(80)}")`, `xai-${alnum(80)}`],
  ["provider", `REPLICATE_API_TOKEN r8_${alnum(37)}`, `r8_${alnum(37)}`],
  ["provider", `pplx-${alnum(48)}`, `pplx-${alnum(48)}`],
  ["provider", `login(token="hf_${alnum(34)}")`, `hf_${alnum(34)}`],
  ["provider", `stripe.api_key = "sk_live_${alnum(24)}"`, `sk_live_${alnum(24)}`],
  ["provider", `const rk = "rk_test_${alnum(30)}";`, `rk_test_${alnum(30)}`],
  ["provider", `stripe.webhooks.constructEvent(body, sig, "whsec_${alnum(32)}")`, `whsec_${alnum(32)}`],
  ["provider", `square sq0atp-${alnum(22)}`, `sq0atp-${alnum(22)}`],
  ["provider", `access_token$production$${rep("k3j9", 16)}$${hex(32)}`, `${hex(32)}`],
  ["provider", `shpat_${hex(32)}`, `shpat_${hex(32)}`],
  ["provider", `git clone https://ghp_${alnum(36)}@github.com/o/r`, `ghp_${alnum(36)}`],
  ["provider", `GH_TOKEN=github_pat_${rep("11ABC_de", 82)}`, `github_pat_${rep("11ABC_de", 82)}`],
  ["provider", `glpat-${alnum(20)} is my gitlab token`, `glpat-${alnum(20)}`],
  ["provider", `//registry.npmjs.org/:_authToken=npm_${alnum(36)}`, `npm_${alnum(36)}`],
  ["provider", `pypi-AgEIcHlwaS5vcmc${alnum(60)}`, `pypi-AgEIcHlwaS5vcmc${alnum(60)}`],
  ["provider", `docker login -p dckr_pat_${alnum(27)}`, `dckr_pat_${alnum(27)}`],
  ["provider", `AKCp${alnum(69)}`, `AKCp${alnum(69)}`],
  ["provider", `credentials "app.terraform.io" { token = "${rep("abc123", 14)}.atlasv1.${alnum(67)}" }`, `${rep("abc123", 14)}.atlasv1.${alnum(67)}`],
  ["provider", `pulumi login pul-${hex(40)}`, `pul-${hex(40)}`],
  ["provider", `VAULT_TOKEN hvs.${alnum(90)}`, `hvs.${alnum(90)}`],
  ["provider", `dp.pt.${alnum(43)}`, `dp.pt.${alnum(43)}`],
  ["provider", `SLACK_BOT=xoxb-${rep("1234-", 40)}abc`, `xoxb-${rep("1234-", 40)}abc`],
  ["provider", `xapp-1-A0${rep("B", 9)}-1234567890123-${hex(64)}`, `xapp-1-A0${rep("B", 9)}-1234567890123-${hex(64)}`],
  ["provider", `hook https://hooks.slack.com/services/T0${rep("A", 8)}/B0${rep("B", 8)}/${alnum(24)}`, `https://hooks.slack.com/services/T0${rep("A", 8)}/B0${rep("B", 8)}/${alnum(24)}`],
  ["provider", `https://discord.com/api/webhooks/123456789012345678/${alnum(68)}`, `${alnum(68)}`],
  ["provider", `client.login("MT${alnum(24)}.GhIjKl.${alnum(38)}")`, `MT${alnum(24)}.GhIjKl.${alnum(38)}`],
  ["provider", `bot 123456789:AA${alnum(33)}`, `123456789:AA${alnum(33)}`],
  ["provider", `SENDGRID=SG.${alnum(22)}.${alnum(43)}`, `SG.${alnum(22)}.${alnum(43)}`],
  ["provider", `mailgun key-${rep("3ax6xnjp", 32)}`, `key-${rep("3ax6xnjp", 32)}`],
  ["provider", `mailchimp ${hex(32)}-us14`, `${hex(32)}-us14`],
  ["provider", `twilio SK${hex(32)}`, `SK${hex(32)}`],
  ["provider", `const client = twilio("AC${hex(32)}", "${rep("9c8b7a6f5e4d", 32)}");`, rep("9c8b7a6f5e4d", 32)],
  ["provider", `aws_access_key_id = AKIA${rep("IOSFODNN7", 16)}`, `AKIA${rep("IOSFODNN7", 16)}`],
  ["provider", `maps?key=AIza${rep("Sy3_x-", 35)}&q=1`, `AIza${rep("Sy3_x-", 35)}`],
  ["provider", `"client_secret":"GOCSPX-${alnum(28)}"`, `GOCSPX-${alnum(28)}`],
  ["provider", `do token dop_v1_${hex(64)}`, `dop_v1_${hex(64)}`],
  ["provider", `databricks dapi${hex(32)}`, `dapi${hex(32)}`],
  ["provider", `jira ATATT3${alnum(180)}`, `ATATT3${alnum(180)}`],
  ["provider", `lin_api_${alnum(40)}`, `lin_api_${alnum(40)}`],
  ["provider", `notion secret_${alnum(43)}`, `secret_${alnum(43)}`],
  ["provider", `PMAK-${hex(24)}-${hex(34)}`, `PMAK-${hex(24)}-${hex(34)}`],
  ["provider", `glsa_${alnum(32)}_${hex(8)}`, `glsa_${alnum(32)}_${hex(8)}`],
  ["provider", `NRAK-${rep("A1B2C3D4E5", 27)}`, `NRAK-${rep("A1B2C3D4E5", 27)}`],
  ["provider", `sbp_${hex(40)}`, `sbp_${hex(40)}`],
  ["provider", `figd_${alnum(43)}`, `figd_${alnum(43)}`],
  ["provider", `pat${alnum(14)}.${hex(64)}`, `pat${alnum(14)}.${hex(64)}`],
  ["provider", `dropbox sl.${alnum(138)}`, `sl.${alnum(138)}`],
  ["provider", `AGE-SECRET-KEY-1${rep("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`, `AGE-SECRET-KEY-1${rep("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`],
  ["provider", `jwt=eyJ${alnum(16)}.eyJ${alnum(24)}.${alnum(32)}`, `eyJ${alnum(16)}.eyJ${alnum(24)}.${alnum(32)}`],
  ["provider", `-----BEGIN RSA PRIVATE KEY-----\nMIIE${b64(200)}\n-----END RSA PRIVATE KEY-----`, `MIIE${b64(200)}`],
  ["provider", `-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl${b64(120)}\n-----END OPENSSH PRIVATE KEY-----`, `b3Bl${b64(120)}`],
  ["provider", `-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdG${b64(80)}\n-----END PGP PRIVATE KEY BLOCK-----`, `lQdG${b64(80)}`],
  ["provider", `"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEv${b64(120)}\\n-----END PRIVATE KEY-----\\n"`, `MIIEv${b64(120)}`],
  // Credentials in URLs and headers
  ["url-header", `DATABASE_URL=postgres://admin:S3cr/t@Pa55@db.internal:5432/app`, "S3cr/t@Pa55"],
  ["url-header", `mysql://root:p@ss/w0rd:x@127.0.0.1:3306/shop`, "p@ss/w0rd:x"],
  ["url-header", `mongodb+srv://user:hunter2hunter2@cluster0.example.net/db`, "hunter2hunter2"],
  ["url-header", `REDIS_URL=redis://:Rd1s-Pa55w0rd@cache:6379/0`, "Rd1s-Pa55w0rd"],
  ["url-header", `amqp://guest:Gu3st/Secr3t@rabbit:5672/vhost`, "Gu3st/Secr3t"],
  ["url-header", `curl https://deploy:Tk9-xZ2q@ci.example.com/hook`, "Tk9-xZ2q"],
  ["url-header", `https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig=${b64(43)}%3D`, `${b64(43)}%3D`],
  ["url-header", `https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${hex(64)}`, hex(64)],
  ["url-header", `https://api.example.com/v1/me?access_token=${alnum(40)}`, alnum(40)],
  ["url-header", `jdbc:postgresql://db:5432/app?user=app&password=Jd8c-P4ss`, "Jd8c-P4ss"],
  ["url-header", `Authorization: Basic ${b64(40)}==`, `${b64(40)}==`],
  ["url-header", `-H "Authorization: Bearer ${alnum(40)}"`, alnum(40)],
  ["url-header", `headers = {"Authorization": "token ${alnum(40)}"}`, alnum(40)],
  ["url-header", `X-Api-Key: ${alnum(32)}`, alnum(32)],
  ["url-header", `curl -u admin:Adm1n-Pa55 https://jenkins.local/api`, "Adm1n-Pa55"],
  ["url-header", `machine api.heroku.com login me@example.com password ${hex(36)}`, hex(36)],
  // key = value in config formats
  ["config", `DB_PASSWORD=correct-horse-battery`, "correct-horse-battery"],
  ["config", `export CLIENT_SECRET="a8f5f167f44f4964e6c998dee827110c"`, "a8f5f167f44f4964e6c998dee827110c"],
  ["config", `  password: Yaml-Pa55-2024`, "Yaml-Pa55-2024"],
  ["config", `"password": "p@ssw0rd!2024"`, "p@ssw0rd!2024"],
  ["config", `{"apiKey": "${alnum(32)}"}`, alnum(32)],
  ["config", `api_key = 'zq81-PLm0-77aa-x9'`, "zq81-PLm0-77aa-x9"],
  ["config", `spring.datasource.password=Spr1ng-Db!`, "Spr1ng-Db!"],
  ["config", `<password>Xml-S3cret-1</password>`, "Xml-S3cret-1"],
  ["config", `Server=sql1;Database=app;User Id=sa;Password=Sql/S3rv@r;`, "Sql/S3rv@r"],
  ["config", `    client-key-data: ${b64(120)}=`, `${b64(120)}=`],
  ["config", `    token: ${alnum(40)}`, alnum(40)],
  ["config", `{"auths": {"registry.example.com": {"auth": "${b64(32)}="}}}`, `${b64(32)}=`],
  ["config", `_auth=${b64(24)}=`, `${b64(24)}=`],
  ["config", `secret_token := "Tk_9f8e7d6c5b4a"`, "Tk_9f8e7d6c5b4a"],
  ["config", `AWS_SECRET_ACCESS_KEY=${b64(40)}`, b64(40)],
  ["config", `:password => "Rub7-Hash-Pw"`, "Rub7-Hash-Pw"],
  ["config", `SENTRY_DSN=https://${rep("b2c4", 32)}:${hex(32)}@o1.ingest.sentry.io/5`, hex(32)],
  ["config", `encryption_key: ${b64(44)}`, b64(44)],
  // High-entropy values next to secret-like names
  ["entropy", `| prod api key | ${R[3]} |`, R[3]],
  ["entropy", `headers["X-Secret"] = "${R[0]}"`, R[0]],
  ["entropy", `auth.login("admin", "${R[1]}")`, R[1]],
  ["entropy", `the token is ${R[2]}`, R[2]],
];

/** Look-alikes: hashes, UUIDs, references, placeholders, setting names; must pass unchanged. */
const LOOK_ALIKES: string[] = [
  `"token_type": "bearer"`,
  `PASSWORD_RESET_URL=https://example.com/account/reset`,
  `AUTH_TOKEN_HEADER=X-Auth-Token`,
  `TOKEN_TTL=3600`,
  `password_min_length: 12`,
  `max_tokens = 512`,
  `secret_name: db-credentials`,
  `  secretKeyRef:\n    name: app-secrets\n    key: password`,
  `kind: Secret`,
  `type: kubernetes.io/service-account-token`,
  `auth_mode = 'oauth'`,
  `"auth": {"type": "oidc"}`,
  `tokenizer = AutoTokenizer.from_pretrained(name)`,
  `const token_count = tokens.length;`,
  `password = ''`,
  `password: ""`,
  `DB_PASSWORD=\${DB_PASSWORD}`,
  `password: \${{ secrets.DB_PASSWORD }}`,
  `token: \${{ secrets.GITHUB_TOKEN }}`,
  `const apiKey = process.env.OPENAI_API_KEY;`,
  `api_key = os.environ['API_KEY']`,
  `SECRET_KEY = env("SECRET_KEY")`,
  `api_key: <your-api-key>`,
  `OPENAI_API_KEY=your-api-key-here`,
  `password: changeme`,
  `token = get_token()`,
  `password_hash = bcrypt.hash(pw)`,
  `secret_key_base = Rails.application.credentials.secret_key_base`,
  `Authorization: Bearer \${TOKEN}`,
  `Authorization: Basic <credentials>`,
  `Use a Bearer token in the Authorization header.`,
  `The user enters a password of at least 12 characters.`,
  `commit 9fceb02d0ae598e95dc970b74767f19372d61af8`,
  `token: 9fceb02d0ae598e95dc970b74767f19372d61af8`.replace("token", "sha"),
  `sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`,
  `md5 = d41d8cd98f00b204e9800998ecf8427e`,
  `id: 123e4567-e89b-12d3-a456-426614174000`,
  `request_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"`,
  `"integrity": "sha512-${b64(86)}=="`,
  `image: ghcr.io/org/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`,
  `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${b64(60)} user@host`,
  `-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----`,
  `-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----`,
  `https://example.com/path?query=1&page=2`,
  `https://example.com/search?key=value`,
  `ssh://git@github.com/owner/repo.git`,
  `git@github.com:owner/repo.git`,
  `http://localhost:8080/v1/completions`,
  `postgres://localhost:5432/app`,
  `mailto:someone@example.com`,
  `Contact admin@example.com for access.`,
  `import sklearn  # sk-learn is a library`,
  `a risk-free, task-oriented sk-8 plan`,
  `The key-value store maps key-1 to value-1`,
  `eyJ is how a JWT begins`,
  `AKIA is the prefix of an AWS key id`,
  `ghp_ is the prefix of a GitHub token`,
  `xoxb is a Slack prefix`,
  `let skTotal = sk-1`,
  `x = 17 * 23 = 391`,
  `\\boxed{\\frac{3}{4}}`,
  `secret = true`,
  `"token_limit": 4096`,
  `auth: required`,
  `token_endpoint: https://login.example.com/oauth2/token`,
  `"api_key_header": "X-API-Key"`,
  `CSRF_TOKEN_FIELD=csrf_token`,
  `password_policy: strong`,
  `The API key has the form sk-... and is shown once.`,
  `version: 3.11.7`,
  `const ratio = secret.length / token.length;`,
  `data:image/png;base64,${noise(60)}`,
  `const nonce = "${noise(24, "0123456789abcdef")}"; // a hex nonce`,
  `layout: ${noise(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`,
];

test(`redaction table: ${SECRETS.length} secrets in ${new Set(SECRETS.map((s) => s[0])).size} families caught, ${LOOK_ALIKES.length} look-alikes kept`, () => {
  const missed: string[] = [];
  const altered: string[] = [];
  for (const [family, line, secret] of SECRETS) {
    const out = redact(line);
    if (out.includes(secret) || !/\[REDACTED [^\]]+ [0-9a-f]{8}\]/.test(out)) missed.push(`${family}: ${out.slice(0, 120)}`);
  }
  for (const line of LOOK_ALIKES) {
    const out = redact(line);
    if (out !== line) altered.push(`${line.slice(0, 80)} → ${out.slice(0, 80)}`);
  }
  const byFamily = [...new Set(SECRETS.map((s) => s[0]))].map((f) => `${f} ${SECRETS.filter((s) => s[0] === f).length - missed.filter((m) => m.startsWith(`${f}:`)).length}/${SECRETS.filter((s) => s[0] === f).length}`);
  process.stdout.write(`# redaction: secrets caught ${SECRETS.length - missed.length}/${SECRETS.length} (${byFamily.join(", ")}), look-alikes kept ${LOOK_ALIKES.length - altered.length}/${LOOK_ALIKES.length}\n${[...missed.map((m) => `#   missed ${m}`), ...altered.map((a) => `#   altered ${a}`)].join("\n")}\n`);
  assert.ok(SECRETS.length >= 80 && LOOK_ALIKES.length >= 60);
  assert.deepEqual(missed, []);
  assert.deepEqual(altered, []);
});
