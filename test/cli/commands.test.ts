// Every client command as a subprocess of the built CLI against a real server: stdout, stderr,
// exit codes, --json outputs, and one-line errors for bad input.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixture, startFixtureServer } from "../api/fixture.js";
import type { RunningServer } from "../helpers/server.js";
import { expectOneLine, kf, spawnKf, waitFor } from "./cli-helpers.js";

const f = makeFixture();
let server: RunningServer;
let dir: string;
let admin: Record<string, string>;
let app: Record<string, string>;
let stranger: Record<string, string>;

beforeAll(async () => {
  server = await startFixtureServer(f);
  dir = await mkdtemp(join(tmpdir(), "keyfront-cli-"));
  for (const [name, c] of Object.entries(f.clients)) {
    await writeFile(join(dir, `${name}.crt`), c.certPem);
    await writeFile(join(dir, `${name}.key`), c.keyPem, { mode: 0o600 });
  }
  await writeFile(join(dir, "server.crt"), f.serverCertPem);
  const env = (who: string) => ({
    KES_SERVER: server.url.replace("https://", ""),
    KES_CLIENT_CERT: join(dir, `${who}.crt`),
    KES_CLIENT_KEY: join(dir, `${who}.key`),
    NODE_EXTRA_CA_CERTS: join(dir, "server.crt"),
  });
  admin = env("admin");
  app = env("ecdsa");
  stranger = env("stranger");
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const json = (s: string) => JSON.parse(s) as unknown;

describe("key commands", () => {
  it("create, info, ls, rm", async () => {
    expect(await kf(["key", "create", "k1", "k2"], admin)).toMatchObject({ code: 0, stdout: "" });
    const info = await kf(["key", "info", "k1", "--json"], admin);
    expect(info.code).toBe(0);
    expect(json(info.stdout)).toMatchObject({
      name: "k1",
      algorithm: "AES256",
      created_by: f.clients.admin.identity,
    });
    const human = await kf(["key", "info", "k1"], admin);
    expect(human.stdout).toMatch(/^Name\s+k1$/m);
    expect(human.stdout).toMatch(/^Date\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(json((await kf(["key", "ls", "k", "--json"], admin)).stdout)).toEqual(["k1", "k2"]);
    expect((await kf(["key", "ls"], admin)).stdout.split("\n")).toEqual(
      expect.arrayContaining(["k1", "k2"]),
    );
    expect((await kf(["key", "rm", "k2"], admin)).code).toBe(0);
    expect(json((await kf(["ls", "k", "--json"], admin)).stdout)).toEqual(["k1"]);
  });

  it("an existing key is one line, exit 1", async () => {
    await kf(["key", "create", "dup"], admin);
    const r = await kf(["key", "create", "dup"], admin);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toBe("keyfront: key already exists");
  });

  it("dek, decrypt with context; a wrong context fails", async () => {
    await kf(["key", "create", "dek-key"], admin);
    const ctx = Buffer.from("bucket/object").toString("base64");
    const dek = await kf(["key", "dek", "dek-key", ctx], admin);
    expect(dek.code).toBe(0);
    const { plaintext, ciphertext } = json(dek.stdout) as { plaintext: string; ciphertext: string };
    expect(Buffer.from(plaintext, "base64").length).toBe(32);
    const dec = await kf(["key", "decrypt", "dek-key", ciphertext, ctx], admin);
    expect(json(dec.stdout)).toEqual({ plaintext });
    const wrong = await kf(["key", "decrypt", "dek-key", ciphertext], admin);
    expect(wrong.code).toBe(1);
    expect(expectOneLine(wrong.stderr)).toBe(
      "keyfront: decryption failed: ciphertext is not authentic",
    );
  });

  it("encrypt, decrypt, hmac, import", async () => {
    await kf(["key", "create", "enc-key"], admin);
    const enc = json((await kf(["key", "encrypt", "enc-key", "hello"], admin)).stdout) as {
      ciphertext: string;
    };
    const dec = json((await kf(["key", "decrypt", "enc-key", enc.ciphertext], admin)).stdout) as {
      plaintext: string;
    };
    expect(Buffer.from(dec.plaintext, "base64").toString()).toBe("hello");
    const mac = json((await kf(["key", "hmac", "enc-key", "m"], admin)).stdout) as { hmac: string };
    expect(Buffer.from(mac.hmac, "base64").length).toBe(32);
    const key = Buffer.alloc(32, 9).toString("base64");
    expect((await kf(["key", "import", "imp-key", key], admin)).code).toBe(0);
    expect(json((await kf(["key", "info", "imp-key", "--json"], admin)).stdout)).toMatchObject({
      algorithm: "AES256",
    });
    const short = await kf(["key", "import", "imp2", "AAAA"], admin);
    expect(short.code).toBe(2);
  });
});

describe("policy, identity, ls, status, metric", () => {
  it("policy ls, info, show", async () => {
    expect(json((await kf(["policy", "ls", "--json"], admin)).stdout)).toEqual(["app", "reader"]);
    expect(json((await kf(["policy", "info", "app", "--json"], admin)).stdout)).toMatchObject({
      name: "app",
    });
    const show = json((await kf(["policy", "show", "app"], admin)).stdout) as {
      allow: object;
      deny: object;
    };
    expect(Object.keys(show.allow)).toContain("/v1/key/create/app-*");
    expect(Object.keys(show.deny)).toEqual(["/v1/key/generate/app-secret*"]);
    const missing = await kf(["policy", "info", "nope"], admin);
    expect([missing.code, expectOneLine(missing.stderr)]).toEqual([
      1,
      "keyfront: policy does not exist",
    ]);
  });

  it("identity info and ls; ls -i / -p", async () => {
    const self = json((await kf(["identity", "info", "--json"], admin)).stdout);
    expect(self).toMatchObject({ identity: f.clients.admin.identity, admin: true });
    const other = json(
      (await kf(["identity", "info", f.clients.ecdsa.identity, "--json"], admin)).stdout,
    );
    expect(other).toMatchObject({ policy: "app" });
    const mine = await kf(["identity", "info"], app);
    expect(mine.stdout).toMatch(/^Policy\s+app$/m);
    const ids = json((await kf(["identity", "ls", "--json"], admin)).stdout) as string[];
    expect(ids).toContain(f.clients.admin.identity);
    expect(json((await kf(["ls", "-i", "--json"], admin)).stdout)).toEqual(ids);
    expect(json((await kf(["ls", "-p", "--json"], admin)).stdout)).toEqual(["app", "reader"]);
    expect((await kf(["ls", "-i", "-p"], admin)).code).toBe(2);
  });

  it("status, status --api, status --short", async () => {
    const s = json((await kf(["status", "--json"], admin)).stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ endpoint: server.url, os: process.platform });
    expect(typeof s.latency_ms).toBe("number");
    const human = await kf(["status"], admin);
    expect(human.stdout).toContain(server.url);
    expect(human.stdout).toMatch(/Keystore\s+ok/);
    const api = json((await kf(["status", "--api", "--json"], admin)).stdout) as Array<{
      path: string;
    }>;
    expect(api.map((r) => r.path)).toContain("/v1/key/generate/");
    expect((await kf(["status", "--api"], admin)).stdout).toMatch(/GET\s+\/v1\/log\/audit\s+Inf/);
    expect((await kf(["status", "-s"], admin)).stdout).toMatch(
      /^● https:\/\/127\.0\.0\.1:\d+\s+\d+ms$/m,
    );
  });

  it("metric -n 1 prints one snapshot", async () => {
    const r = await kf(["metric", "-n", "1", "--json"], admin);
    expect(r.code).toBe(0);
    const snap = json(r.stdout) as Record<string, number>;
    expect(snap.success).toBeGreaterThan(0);
    expect(typeof snap.heap).toBe("number");
    const plain = await kf(["metric", "-n", "2", "--rate", "200ms"], admin);
    expect(plain.stdout.trim().split("\n")).toHaveLength(2);
  });
});

describe("log follows the stream until interrupted", () => {
  it("audit: prints events, exits 0 on SIGINT", async () => {
    const log = spawnKf(["log", "--json"], admin);
    await new Promise((r) => setTimeout(r, 800));
    await kf(["key", "info", "k1"], admin);
    await waitFor(() => log.stdout().includes("/v1/key/describe/k1"));
    log.proc.kill("SIGINT");
    expect(await log.exited).toBe(0);
    const line = log
      .stdout()
      .split("\n")
      .find((l) => l.includes("/v1/key/describe/k1")) as string;
    expect(json(line)).toMatchObject({
      request: { path: "/v1/key/describe/k1" },
      response: { code: 200 },
    });
    expect(log.stderr()).toBe("");
  });

  it("error: prints the error log", async () => {
    const log = spawnKf(["log", "--error"], admin);
    await new Promise((r) => setTimeout(r, 800));
    await kf(["key", "create", "error-log-probe"], admin);
    await waitFor(() => log.stdout().includes("error-log-probe"));
    log.proc.kill("SIGINT");
    expect(await log.exited).toBe(0);
    expect(log.stdout()).toMatch(/msg="secret key 'error-log-probe' created"/);
  });
});

describe("bad input: one line on stderr, exit 1 (usage: 2)", () => {
  const server_ = () => server.url.replace("https://", "");
  it.each([
    ["no credentials", () => ({ KES_SERVER: server_() }), /no API key specified: set KES_API_KEY/],
    [
      "conflicting",
      () => ({ ...admin, KES_API_KEY: "kes:v1:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc" }),
      /conflicting credentials/,
    ],
    [
      "cert without key",
      () => ({ ...admin, KES_CLIENT_KEY: "" }),
      /KES_CLIENT_CERT is set but KES_CLIENT_KEY is not/,
    ],
    [
      "unreadable certificate",
      () => ({ ...admin, KES_CLIENT_CERT: join(dir, "missing.crt") }),
      /cannot read the client certificate .*ENOENT/,
    ],
    [
      "key of another cert",
      () => ({ ...admin, KES_CLIENT_KEY: join(dir, "ecdsa.key") }),
      /does not belong to/,
    ],
    [
      "bad API key",
      () => ({ KES_SERVER: server_(), KES_API_KEY: "kes:v1:nope" }),
      /invalid API key/,
    ],
    [
      "server down",
      () => ({ ...admin, KES_SERVER: "127.0.0.1:1" }),
      /^keyfront: 127\.0\.0\.1:1: connection refused: is the server running\?/,
    ],
    ["untrusted server", () => ({ ...admin, NODE_EXTRA_CA_CERTS: "" }), /use -k\/--insecure/],
    [
      "not allowed",
      () => stranger,
      /not authorized: insufficient permissions: identity [0-9a-f]{64} may not/,
    ],
  ])("%s", async (_name, env, message) => {
    const r = await kf(["key", "info", "k1"], env());
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("-k accepts an untrusted server", async () => {
    const r = await kf(["key", "info", "k1", "-k", "--json"], {
      ...admin,
      NODE_EXTRA_CA_CERTS: "",
    });
    expect(r.code).toBe(0);
  });

  it("--server overrides KES_SERVER; a comma list fails over", async () => {
    const r = await kf(["key", "info", "k1", "--json", "-s", `127.0.0.1:1,${server_()}`], {
      ...admin,
      KES_SERVER: "127.0.0.1:2",
    });
    expect(r.code).toBe(0);
  });

  it.each([
    [["key"]],
    [["key", "nope"]],
    [["key", "info"]],
    [["key", "info", "a", "b"]],
    [["key", "info", "a", "--bogus"]],
    [["nope"]],
  ])("usage error %j exits 2", async (args) => {
    const r = await kf(args, admin);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^keyfront: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
