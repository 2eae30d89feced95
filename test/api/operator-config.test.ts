// Operator mistakes in the server config, as the operator meets them: a deny rule written as a
// KES ≤ v0.22 glob that would deny nothing and an admin identity no client can have stop the
// server (exit 2, `file:line path: message`); an allow rule that can never match, an `api:` entry
// that names no route and skip_auth on a route beyond the probes start it with a warning naming
// them (kes-api.md §5.2, §6.2, §10.4).

import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, runCli, startServer } from "../helpers/server.js";
import { type Fixture, makeFixture } from "./fixture.js";

const running: RunningServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A config whose app policy allows every key route except what `deny` denies. */
function yaml(f: Fixture, admin: string, deny: string, extra = ""): string {
  return [
    "admin:",
    `  identity: ${admin}`,
    "tls:",
    "  key: ${DIR}/server.key",
    "  cert: ${DIR}/server.crt",
    "policy:",
    "  app:",
    "    allow:",
    "      - /v1/key/*",
    "    deny:",
    `      - ${deny}`,
    "    identities:",
    `      - ${f.clients.ecdsa.identity}`,
    "keystore:",
    "  fs:",
    "    path: ${DIR}/keys",
    extra,
  ].join("\n");
}

function start(f: Fixture, text: string): Promise<RunningServer> {
  return startServer({
    yaml: text,
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
}

describe("policies that cannot match (kes-api.md §6.2)", () => {
  it("refuses a glob deny rule that would deny nothing: exit 2 with file:line", async () => {
    const f = makeFixture();
    const dir = await mkdtemp(join(tmpdir(), "kf-opcfg-"));
    dirs.push(dir);
    const file = join(dir, "config.yaml");
    // Everything else is valid: without the check this server starts and denies nothing.
    await writeFile(join(dir, "server.crt"), f.serverCertPem);
    await writeFile(join(dir, "server.key"), f.serverKeyPem, { mode: 0o600 });
    // KES ≤ v0.22 (path.Match) read this as "no generate/decrypt/… of secret-* keys".
    const text = yaml(f, f.clients.admin.identity, "/v1/key/*/secret-*").replaceAll("${DIR}", dir);
    await writeFile(file, text);
    const r = await runCli(["server", "--config", file, "--addr", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("keyfront: invalid configuration:");
    expect(r.stderr).toContain(
      `${file}:11 policy.app.deny[0]: pattern '/v1/key/*/secret-*' never matches: '*' is a wildcard only as the last character`,
    );
    expect(r.stderr).toContain("a deny rule that never matches denies nothing, so it is refused");
  });

  it("the same intent written as prefixes denies over TLS", async () => {
    const f = makeFixture();
    const s = await start(f, yaml(f, f.clients.admin.identity, "/v1/key/generate/secret-*"));
    running.push(s);
    const app = f.clients.ecdsa;
    expect((await s.request(app, "POST", "/v1/key/create/secret-a")).status).toBe(200);
    expect((await s.request(app, "POST", "/v1/key/generate/secret-a", "{}")).status).toBe(403);
    expect((await s.request(app, "POST", "/v1/key/create/app-a")).status).toBe(200);
    expect((await s.request(app, "POST", "/v1/key/generate/app-a", "{}")).status).toBe(200);
    expect(s.stderr()).not.toContain("warning");
  });

  it("starts with a warning naming an allow rule that can never match, and skip_auth on a key route", async () => {
    const f = makeFixture();
    const extra = [
      "  reader:",
      "    allow: [/v1/key/*/app-*, /v1/status]",
      "    identities: [my-reader]",
      "api:",
      "  /v1/key/describe/:",
      "    skip_auth: true",
    ].join("\n");
    const text = yaml(f, "disabled", "/v1/key/delete/*").replace(
      "keystore:",
      `${extra}\nkeystore:`,
    );
    const s = await start(f, text);
    running.push(s);
    const file = join(s.dir, "config.yaml");
    const err = s.stderr();
    expect(err).toContain(
      `keyfront: warning: ${file}:15 policy.reader.allow[0]: pattern '/v1/key/*/app-*' never matches`,
    );
    expect(err).toContain(
      `keyfront: warning: ${file}:16 policy.reader.identities[0]: identity 'my-reader' never matches a client`,
    );
    expect(err).toContain(
      `keyfront: warning: ${file}:19 api["/v1/key/describe/"].skip_auth: route '/v1/key/describe/' skips authentication and policy`,
    );
    // What the warning says is true: with no certificate at all, describe answers (404: no key).
    expect((await s.request({}, "GET", "/v1/key/describe/nothing")).status).toBe(404);
  });
});

describe("api: entries (kes-api.md §10.4)", () => {
  it("warns about an entry that names no route and about skip_auth on a log stream, not on a probe", async () => {
    const f = makeFixture();
    const extra = [
      "api:",
      "  /v1/key/create:", // no trailing slash: KES ignores it without a word
      "    skip_auth: true",
      "  /v1/metric:",
      "    timeout: 5s",
      "  /v1/log/audit:",
      "    skip_auth: true",
      "  /v1/ready:",
      "    skip_auth: true",
    ].join("\n");
    const text = yaml(f, f.clients.admin.identity, "/v1/key/delete/*").replace(
      "keystore:",
      `${extra}\nkeystore:`,
    );
    const s = await start(f, text);
    running.push(s);
    const file = join(s.dir, "config.yaml");
    const warnings = s
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("keyfront: warning:"));
    expect(warnings).toEqual([
      `keyfront: warning: ${file}:15 api["/v1/key/create"]: no route '/v1/key/create' (did you mean '/v1/key/create/'?): its settings are ignored`,
      `keyfront: warning: ${file}:17 api["/v1/metric"]: no route '/v1/metric': its settings are ignored`,
      `keyfront: warning: ${file}:20 api["/v1/log/audit"].skip_auth: route '/v1/log/audit' skips authentication and policy: any client that reaches the port, with or without a certificate, can use it and read every event of that log`,
    ]);
    // What the warnings say is true: the misspelt entry opened nothing, the probe is open.
    expect((await s.request({}, "POST", "/v1/key/create/k")).status).not.toBe(200);
    expect((await s.request(f.clients.admin, "POST", "/v1/key/create/k")).status).toBe(200);
    expect((await s.request({}, "GET", "/v1/ready")).status).toBe(200);
  });
});

describe("admin.identity (kes-api.md §5.2)", () => {
  it.each([
    ["a name", "admin-team", "invalid identity 'admin-team': want 64 lowercase hex digits"],
    [
      "uppercase hex",
      "A".repeat(64),
      `invalid identity '${"A".repeat(64)}': hex digits must be lowercase`,
    ],
  ])("refuses %s: exit 2 with file:line", async (_, admin, message) => {
    const f = makeFixture();
    const dir = await mkdtemp(join(tmpdir(), "kf-opcfg-"));
    dirs.push(dir);
    const file = join(dir, "config.yaml");
    await writeFile(join(dir, "server.crt"), f.serverCertPem);
    await writeFile(join(dir, "server.key"), f.serverKeyPem, { mode: 0o600 });
    await writeFile(file, yaml(f, admin, "/v1/key/delete/*").replaceAll("${DIR}", dir));
    const r = await runCli(["server", "--config", file, "--addr", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2 admin.identity: ${message}`);
  });

  it("`disabled` starts a server without an admin", async () => {
    const f = makeFixture();
    const s = await start(f, yaml(f, "disabled", "/v1/key/delete/*"));
    running.push(s);
    expect(s.stderr()).toMatch(/Admin\s+<disabled>/);
    expect((await s.request(f.clients.admin, "GET", "/v1/status")).status).toBe(403);
  });
});

describe("the fs key directory", () => {
  it("an existing directory others can read starts the server with a warning in the log", async () => {
    const f = makeFixture();
    const dir = await mkdtemp(join(tmpdir(), "kf-opcfg-"));
    dirs.push(dir);
    const keys = join(dir, "shared-keys");
    await mkdir(keys);
    await chmod(keys, 0o755);
    const text = yaml(f, f.clients.admin.identity, "/v1/key/delete/*").replace(
      "path: ${DIR}/keys",
      `path: ${keys}`,
    );
    const s = await start(f, text);
    running.push(s);
    expect(s.stderr()).toContain(
      `fs keystore: the key directory '${keys}' can be read or changed by other users (mode 0755): chmod 700 it`,
    );
    expect((await s.request(f.clients.admin, "POST", "/v1/key/create/k")).status).toBe(200);
  });
});
