/**
 * The code sandbox's limits, each by a program that would get through were the limit removed:
 * it prints what it managed to do, and the test asserts the sandbox refused it. Needs bwrap
 * (scripts/sandbox-setup.sh, run by `npm run test:grader`); without it these tests fail, naming it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CodeSandbox, DEFAULT_SANDBOX_LIMITS } from "../../src/eval/sandbox.js";

describe("code sandbox", () => {
  let sandbox: CodeSandbox;
  let runs: string;
  before(async () => {
    runs = await mkdtemp(join(tmpdir(), "relay-sandbox-test-"));
    // Run as root, the sandbox is nobody, who must be able to reach its folder.
    await chmod(runs, 0o711);
    sandbox = await CodeSandbox.create({ tempDir: runs });
  });
  after(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  it("runs a program and reports its exit code and output", async () => {
    const run = await sandbox.run("import sys\nprint('hi')\nsys.exit(3)\n");
    assert.equal(run.status, "ok");
    assert.equal(run.exitCode, 3);
    assert.equal(run.stdout, "hi\n");
  });

  it("kills a program that loops at the wall-clock timeout", { timeout: 30_000 }, async () => {
    const run = await sandbox.run("while True:\n    pass\n", { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 1500 });
    assert.equal(run.status, "timeout");
    assert.ok(run.durationMs < 8000, `took ${run.durationMs} ms`);
  });

  it("stops a fork bomb at the process limit, and its children die with the run", async () => {
    // Children sleep a minute: the run returning at once shows the pid namespace took them down.
    const program = [
      "import os, time",
      "n = 0",
      "try:",
      "    for _ in range(200):",
      "        if os.fork() == 0:",
      "            time.sleep(60)",
      "            os._exit(0)",
      "        n += 1",
      "    print('forked', n)",
      "except OSError:",
      "    print('refused after', n)",
    ].join("\n");
    const run = await sandbox.run(program, { ...DEFAULT_SANDBOX_LIMITS, processes: 8, timeoutMs: 20_000 });
    assert.equal(run.status, "ok", run.stderr);
    const m = /^refused after (\d+)$/m.exec(run.stdout);
    assert.ok(m, `not refused: ${run.stdout}${run.stderr}`);
    assert.ok(Number(m[1]) < 8);
    assert.ok(run.durationMs < 15_000, `took ${run.durationMs} ms: the sleeping children kept it alive`);
  });

  it("refuses memory beyond the address-space limit", async () => {
    const program = "try:\n    b = bytearray(512 * 2**20)\n    print('allocated')\nexcept MemoryError:\n    print('refused')\n";
    const run = await sandbox.run(program, { ...DEFAULT_SANDBOX_LIMITS, memoryBytes: 256 * 2 ** 20 });
    assert.equal(run.stdout.trim(), "refused", run.stderr);
  });

  it("refuses writes outside its folder, even where anyone may write, and removes its folder", async () => {
    // Outside /tmp (the sandbox's /tmp is its own folder): /var/tmp, where anyone may write.
    const open = await mkdtemp(join("/var/tmp", "relay-sandbox-open-"));
    await chmod(open, 0o777);
    try {
      const target = join(open, "escaped.txt");
      const program = [
        "try:",
        `    open(${JSON.stringify(target)}, 'w').write('x')`,
        "    print('wrote outside')",
        "except OSError:",
        "    print('refused')",
        "open('inside.txt', 'w').write('fine')",
        "print(open('/tmp/inside.txt').read())",
      ].join("\n");
      const run = await sandbox.run(program);
      assert.equal(run.stdout, "refused\nfine\n", run.stderr);
      assert.equal(existsSync(target), false);
      assert.deepEqual(await readdir(runs), [], "the run's folder is left behind");
    } finally {
      await rm(open, { recursive: true, force: true });
    }
  });

  it("refuses a file larger than the file-size limit", async () => {
    const program = "try:\n    with open('big', 'wb') as f:\n        f.write(b'x' * (8 * 2**20))\n    print('wrote')\nexcept OSError:\n    print('refused')\n";
    const run = await sandbox.run(program, { ...DEFAULT_SANDBOX_LIMITS, fileBytes: 2 ** 20 });
    assert.equal(run.stdout.trim(), "refused", run.stderr);
  });

  it("has no network: a server listening on this machine's loopback cannot be reached", async () => {
    const server: Server = createServer((socket) => socket.end("hello\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const program = [
        "import socket",
        "try:",
        `    s = socket.create_connection(('127.0.0.1', ${port}), timeout=3)`,
        "    print('connected', s.recv(16))",
        "except OSError:",
        "    print('refused')",
      ].join("\n");
      const run = await sandbox.run(program);
      assert.equal(run.stdout.trim(), "refused", run.stderr);
    } finally {
      server.close();
    }
  });

  it("keeps only the end of a flood of output", async () => {
    const run = await sandbox.run("import sys\nfor i in range(200000):\n    print(i)\n", { ...DEFAULT_SANDBOX_LIMITS, outputBytes: 1000 });
    assert.ok(run.stdout.length <= 1000);
    assert.ok(run.stdout.endsWith("199999\n"));
  });

  it("a misbehaving program harms nothing running beside it", async () => {
    const [bad, good] = await Promise.all([
      sandbox.run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 2000 }),
      sandbox.run("print(sum(range(10)))\n"),
    ]);
    assert.equal(bad.status, "timeout");
    assert.equal(good.stdout, "45\n");
  });

  it("names the missing tool instead of running without the sandbox", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await assert.rejects(CodeSandbox.create(), /needs `bwrap`.*sandbox-setup\.sh.*never run without the sandbox/s);
    } finally {
      process.env.PATH = path;
    }
  });
});
