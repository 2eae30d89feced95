// The server process as an operator meets it: config errors (exit 2, every problem with its
// line), SIGHUP reloads that apply or are refused, SIGTERM draining in-flight requests, --dev
// with its printed API key, and predefined keys.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { identityOfApiKey } from "../../internal/identity/api-key.js";
import { certificateForApiKey } from "../../internal/pki/certificate.js";
import { type RunningServer, runCli, tlsRequest } from "../helpers/server.js";
import { configYaml, makeFixture, startFixtureServer } from "./fixture.js";

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const paths = { cert: "${DIR}/server.crt", key: "${DIR}/server.key" };

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("invalid configuration", () => {
  it("exits 2 and lists every problem as file:line path: message", async () => {
    const dir = (await import("node:fs/promises")).mkdtemp(
      join((await import("node:os")).tmpdir(), "kf-cfg-"),
    );
    const file = join(await dir, "bad.yaml");
    await writeFile(
      file,
      'admin:\n  identity: ""\ntls:\n  key: k\n  cert: c\n  auth: maybe\nkeystore:\n  aws:\n    secretsmanager: {}\n',
    );
    const r = await runCli(["server", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("keyfront: invalid configuration:");
    expect(r.stderr).toMatch(new RegExp(`${file}:2 admin\\.identity: `));
    expect(r.stderr).toMatch(new RegExp(`${file}:6 tls\\.auth: `));
    expect(r.stderr).toMatch(/keystore\.aws: the 'aws' keystore is not supported by keyfront/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("says which file cannot be read and exits 1 on unusable TLS files", async () => {
    const f = makeFixture();
    const r = await runCli(["server", "--config", "/nonexistent/keyfront.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/nonexistent/keyfront.yaml");
    const { mkdtemp } = await import("node:fs/promises");
    const dir = await mkdtemp(join((await import("node:os")).tmpdir(), "kf-cfg-"));
    await writeFile(
      join(dir, "c.yaml"),
      configYaml(f, { cert: join(dir, "missing.crt"), key: join(dir, "missing.key") }).replaceAll(
        "${DIR}",
        dir,
      ),
    );
    const r2 = await runCli(["server", "--config", join(dir, "c.yaml")], {
      env: { READER_IDENTITY: "a".repeat(64) },
    });
    // Missing files are config problems (exit 2), listed together in the file:line form.
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      new RegExp(
        `c\\.yaml:\\d+ tls\\.cert: cannot read '${join(dir, "missing.crt")}' \\(ENOENT\\)`,
      ),
    );
    expect(r2.stderr).toContain(`tls.key: cannot read '${join(dir, "missing.key")}' (ENOENT)`);
  });
});

describe("signals", () => {
  it("reloads policies on SIGHUP and keeps the old state when the new config is bad", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f);
    running.push(s);
    const stranger = f.clients.stranger;
    expect((await s.request(stranger, "GET", "/v1/status")).status).toBe(403);

    const grant = `  extra:\n    allow: [/v1/status]\n    identities: [${stranger.identity}]\n`;
    const cfg = join(s.dir, "config.yaml");
    const base = configYaml(f, paths).replaceAll("${DIR}", s.dir);
    await writeFile(cfg, base.replace("log:\n", `${grant}log:\n`));
    s.proc.kill("SIGHUP");
    await waitFor(() => s.stderr().includes("configuration reloaded"), "the reload");
    expect((await s.request(stranger, "GET", "/v1/status")).status).toBe(200);

    await writeFile(cfg, "admin: [unclosed\n");
    s.proc.kill("SIGHUP");
    await waitFor(() => s.stderr().includes("reload failed"), "the failed reload");
    expect((await s.request(stranger, "GET", "/v1/status")).status).toBe(200);
    expect(
      (await s.request(f.clients.admin, "POST", "/v1/key/create/after-bad-reload")).status,
    ).toBe(200);
  });

  it("drains in-flight requests on SIGTERM and exits 0", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f);
    const admin = f.clients.admin;
    await s.request(admin, "POST", "/v1/key/create/drain");
    // A request whose body is only half sent when SIGTERM arrives must still complete.
    const body = JSON.stringify({ plaintext: Buffer.from("in flight").toString("base64") });
    const half = body.length >> 1;
    const { request } = await import("node:https");
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: s.port,
          method: "POST",
          path: "/v1/key/encrypt/drain",
          ca: s.caPem,
          servername: "localhost",
          cert: admin.certPem,
          key: admin.keyPem,
          agent: false,
          headers: { "Content-Length": String(body.length) },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, half));
      req.once("socket", (sock) =>
        sock.once("secureConnect", () =>
          setTimeout(() => {
            s.proc.kill("SIGTERM");
            setTimeout(() => req.end(body.slice(half)), 300);
          }, 100),
        ),
      );
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toHaveProperty("ciphertext");
    const code = await Promise.race([
      s.exited,
      new Promise((r) => setTimeout(() => r("still running"), 8000)),
    ]);
    await s.stop();
    expect(code).toBe(0);
    expect(s.stderr()).toContain("Stopping server");
  });
});

describe("keyfront server --dev", () => {
  it("prints a kes:v1 API key that is the admin, and serves from memory", async () => {
    const proc = (await import("node:child_process")).spawn(
      process.execPath,
      [
        join(import.meta.dirname, "../../dist/cmd/keyfront/main.js"),
        "server",
        "--dev",
        "--addr",
        "127.0.0.1:0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    proc.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    try {
      await waitFor(() => err.includes("Server is up"), "the dev server");
      const apiKey = /API Key\s+(kes:v1:\S+)/.exec(err)?.[1] as string;
      const url = /Endpoint\s+(\S+)/.exec(err)?.[1] as string;
      expect(err).toContain(`Admin      ${identityOfApiKey(apiKey)}`);
      const cert = certificateForApiKey(apiKey);
      const client = { certPem: cert.certPem, keyPem: cert.keyPem };
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
      const created = await tlsRequest(url, "", client, "POST", "/v1/key/create/dev-key");
      expect(created.status).toBe(200);
      const self = await tlsRequest(url, "", client, "GET", "/v1/identity/self/describe");
      expect(self.json()).toMatchObject({ admin: true, identity: identityOfApiKey(apiKey) });
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
  });
});

describe("predefined keys", () => {
  it("creates the keys: list at startup, owned by the admin, with server.key_algorithm", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(
      f,
      "keys:\n  - name: pre-1\n  - name: pre-2\nserver:\n  key_algorithm: ChaCha20\n",
    );
    running.push(s);
    const d = await s.request(f.clients.admin, "GET", "/v1/key/describe/pre-2");
    expect(d.json()).toMatchObject({
      name: "pre-2",
      algorithm: "ChaCha20",
      created_by: f.clients.admin.identity,
    });
  });
});

describe("server.workers", () => {
  it("serves one port from two worker processes, reloads all on SIGHUP and stops on SIGTERM", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f, "server:\n  workers: 2\n");
    expect(s.stderr()).toContain("Workers    2 processes");
    const stranger = f.clients.stranger;
    // new connection per request: the primary spreads connections over both workers
    const before = await Promise.all(
      Array.from({ length: 10 }, () => s.request(stranger, "GET", "/v1/status")),
    );
    expect(before.map((r) => r.status)).toEqual(Array(10).fill(403));
    const cfg = join(s.dir, "config.yaml");
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(cfg, "utf8");
    await writeFile(
      cfg,
      text.replace(
        "log:\n",
        `  extra:\n    allow: [/v1/status]\n    identities: [${stranger.identity}]\nlog:\n`,
      ),
    );
    s.proc.kill("SIGHUP");
    await waitFor(
      () => (s.stderr().match(/configuration reloaded/g) ?? []).length >= 2,
      "both workers to reload",
    );
    const after = await Promise.all(
      Array.from({ length: 10 }, () => s.request(stranger, "GET", "/v1/status")),
    );
    expect(after.map((r) => r.status)).toEqual(Array(10).fill(200));
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    await s.stop();
  });
});
