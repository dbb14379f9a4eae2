/**
 * The shapes the secrets issue named: each one reached the teacher (or a look-alike was mangled)
 * before the rules below it in src/core/redact.ts. Fakes are built from repeated patterns so no
 * scanner takes them for live credentials.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { redact } from "../../src/core/redact.js";

const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const hex = (n: number) => rep("4c0883a69102937d", n);
const uuid = (seed: string) => `${rep(seed, 8)}-${rep(seed, 4)}-4${rep(seed, 3)}-a${rep(seed, 3)}-${rep(seed, 12)}`;

/** [shape, text, secrets that must not survive]. */
const MISSED: Array<[string, string, string[]]> = [
  ["mysql -pPASS", "mysql -h db.internal -u root -pMy5ql-R00t-Pw shop < dump.sql", ["My5ql-R00t-Pw"]],
  ["mysqldump -p'PASS'", "mysqldump -uroot -p'Dump-Pa55!x' --all-databases", ["Dump-Pa55!x"]],
  ["redis-cli -a PASS", "redis-cli -h cache.internal -p 6379 -a R3dis-Auth-77x ping", ["R3dis-Auth-77x"]],
  ["az login -p", "az login -u ops@example.com -p 'Az-L0gin-Pw-2024'", ["Az-L0gin-Pw-2024"]],
  ["az login --service-principal -p", `az login --service-principal -u ${uuid("1a")} -p "Xq8${"Q~"}${rep("aB3dE5fG7h", 34)}" --tenant contoso.onmicrosoft.com`, [`Xq8Q~${rep("aB3dE5fG7h", 34)}`]],
  ["basic-auth tuple", `r = requests.get(url, auth=("deploy", "Pyth0n-Basic-Pw"))`, ["Pyth0n-Basic-Pw"]],
  ["HTTPBasicAuth(user, pass)", `session.auth = HTTPBasicAuth('svc-report', 'Rep0rt-Svc-Pw')`, ["Rep0rt-Svc-Pw"]],
  ["Okta SSWS header", `-H "Authorization: SSWS 00${rep("QCjAl4MlV-WPXM", 40)}"`, [`00${rep("QCjAl4MlV-WPXM", 40)}`]],
  ["DB_PASS=", "DB_PASS=Pg-Pass-2024x", ["Pg-Pass-2024x"]],
  ["SMTP_PASS in YAML", "  smtp_pass: 'M4il-Relay-Pw'", ["M4il-Relay-Pw"]],
  ["Teams webhook", `https://contoso.webhook.office.com/webhookb2/${uuid("3f")}@${uuid("72")}/IncomingWebhook/${hex(32)}/${uuid("0b")}`, [hex(32)]],
  ["Mattermost webhook", `curl -X POST https://chat.example.com/hooks/${rep("xk3d9q7w", 26)} -d @msg.json`, [rep("xk3d9q7w", 26)]],
  ["Google Chat webhook", `https://chat.googleapis.com/v1/spaces/AAAA${rep("bC1d", 7)}/messages?key=AIza${rep("Sy3_x-", 35)}&token=${rep("Vq8-sLm2_x", 43)}`, [`AIza${rep("Sy3_x-", 35)}`, rep("Vq8-sLm2_x", 43)]],
  ["Telegram bot URL", `https://api.telegram.org/bot123456789:AA${rep("Gx-Hy_Iz", 33)}/sendMessage`, [`AA${rep("Gx-Hy_Iz", 33)}`]],
  ["Feishu/Lark bot webhook", `https://open.feishu.cn/open-apis/bot/v2/hook/${uuid("9c")}`, [uuid("9c")]],
  [
    "PuTTY .ppk private key",
    ["PuTTY-User-Key-File-3: ssh-ed25519", "Encryption: none", "Comment: eddsa-key-20240101", "Public-Lines: 2", "AAAAC3NzaC1lZDI1NTE5AAAAIBf", "Wv2Qm9Yx3Kp7LzWv2Qm9", "Private-Lines: 1", `AAAAI${rep("Gh3Kp7LzWv2Qm9Yx", 43)}`, `Private-MAC: ${hex(64)}`].join("\n"),
    [`AAAAI${rep("Gh3Kp7LzWv2Qm9Yx", 43)}`],
  ],
  [".pgpass line", "db.example.com:5432:appdb:appuser:Pg-Pa55-w0rd", ["Pg-Pa55-w0rd"]],
  [".pgpass wildcard line", "*:*:*:replicator:Repl1c4-Pw", ["Repl1c4-Pw"]],
  ["wallet key to ethers.Wallet", `const wallet = new ethers.Wallet("0x${hex(64)}", provider);`, [hex(64)]],
  ["wallet key to Account.from_key", `acct = Account.from_key('0x${rep("9d61b19deffd5a60", 64)}')`, [rep("9d61b19deffd5a60", 64)]],
  ["wallet key to privateKeyToAccount", `const account = privateKeyToAccount(\`0x${rep("ac0974bec39a17e3", 64)}\`);`, [rep("ac0974bec39a17e3", 64)]],
  [
    "credentials.csv row",
    `User name,Password,Access key ID,Secret access key,Console login link\ndeploy,,AKIA${rep("IOSFODNN7Q", 16)},${rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)},https://123456789012.signin.aws.amazon.com/console`,
    [`AKIA${rep("IOSFODNN7Q", 16)}`, rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)],
  ],
  ["accessKeys.csv row", `Access key ID,Secret access key\nAKIA${rep("Z2X3C4V5B6", 16)},${rep("Kp7Lz+Wv2/Qm9Yx3", 40)}`, [rep("Kp7Lz+Wv2/Qm9Yx3", 40)]],
];

/** Look-alikes the issue named: they must pass unchanged. */
const MANGLED: Array<[string, string]> = [
  ["TypeScript type", "interface Login {\n  user: string;\n  password: string;\n  apiKey?: string;\n  token: string | null;\n}"],
  ["Mongoose type", "const UserSchema = new Schema({\n  email: String,\n  password: String,\n  resetToken: { type: String, select: false },\n});"],
  ["Python type hint", "def login(user: str, password: Optional[str] = None) -> Session:"],
  ["Rust struct field", "pub struct Creds { pub username: String, pub password: SecretString }"],
  ["go.sum line", "github.com/aws/aws-sdk-go-v2/credentials v1.17.11 h1:YuIB1dJNf1Re822rriUOTxopaHHvIq0l/pX3fwO+Tzs="],
  ["go.sum go.mod line", "github.com/aws/aws-sdk-go-v2/credentials v1.17.11/go.mod h1:kW/fbTvmsSprgNDV1qLN05XrmvbW+fqbEqUpmgXx1ds="],
  ["ssh-ed25519 public key", "deploy key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@ci"],
  ["ssh-ed25519 public key in config", `ssh_authorized_keys:\n  - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl key for ops"`],
];

for (const [shape, text, secrets] of MISSED) {
  test(`redacted: ${shape}`, () => {
    const out = redact(text);
    for (const secret of secrets) assert.ok(!out.includes(secret), `${secret.slice(0, 16)}… survived in ${JSON.stringify(out.slice(0, 200))}`);
    assert.match(out, /\[REDACTED [^\]]+ [0-9a-f]{8}\]/);
  });
}

for (const [shape, text] of MANGLED) {
  test(`kept unchanged: ${shape}`, () => {
    assert.equal(redact(text), text);
  });
}
