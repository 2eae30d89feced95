// `keyfront server` as an operator meets it: --help, the first run's commented configuration
// file (written, loaded, kept with its edits), the banner (bind address, keystore, never a
// token) and --dev's export line, each through the real CLI in a subprocess over real TLS.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeFixture } from "../api/fixture.js";
import { CLI, requireBuild, startServer, tlsRequest } from "../helpers/server.js";
import { vaultServerYaml } from "../keystore/vault/server-yaml.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { cleanEnv, kf, waitFor } from "./cli-helpers.js";

interface Proc {
  stderr: () => string;
  stop: () => Promise<void>;
}

const procs: Proc[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Runs `keyfront server ARGS` in `cwd` until its banner says it is up. */
async function serve(args: string[], cwd: string): Promise<Proc> {
  requireBuild();
  const proc = spawn(process.execPath, [CLI, "server", ...args], {
    cwd,
    env: { ...process.env, ...cleanEnv() },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise((r) => proc.once("exit", r));
  const p: Proc = {
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
  procs.push(p);
  await waitFor(() => err.includes("Server is up") || proc.exitCode !== null, 60_000);
  expect(err).toContain("Server is up");
  return p;
}

const endpointOf = (banner: string) => /Endpoint\s+(https:\/\/\S+)/.exec(banner)?.[1] as string;

describe("keyfront server --help", () => {
  it("prints the usage on stdout and exits 0", async () => {
    const r = await kf(["server", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: keyfront server /);
    expect(r.stdout).toContain("certs/dev/keyfront.yaml");
    expect(r.stderr).toBe("");
  });
});

describe("the first run (npm start)", () => {
  const cwd = tempDir("keyfront-first-run-");
  const file = join(cwd, "certs/dev/keyfront.yaml");

  it("writes a commented configuration file and serves from it", async () => {
    const s = await serve(["--addr", "127.0.0.1:0"], cwd);
    expect(s.stderr()).toContain(`Config     ${file}`);
    expect(s.stderr()).toMatch(/Listening {2}127\.0\.0\.1:\d+\n/);
    expect(s.stderr()).toContain("Keystore   fs data");
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^# keyfront configuration/);
    expect(text).toContain("For production, change at least:");
    expect(text).toContain("  # vault:");
    const admin = /Admin\s+([0-9a-f]{64})/.exec(s.stderr())?.[1];
    expect(text).toContain(`  identity: ${admin}`);
    await s.stop();
  });

  it("loads with `keyfront server --config` as it is, and serves keys from data/", async () => {
    const s = await serve(["--config", file, "--addr", "127.0.0.1:0"], cwd);
    expect(s.stderr()).not.toContain("warning");
    const admin = {
      certPem: readFileSync(join(cwd, "certs/dev/admin.crt"), "utf8"),
      keyPem: readFileSync(join(cwd, "certs/dev/admin.key"), "utf8"),
    };
    const ca = readFileSync(join(cwd, "certs/dev/server.crt"), "utf8");
    const r = await tlsRequest(endpointOf(s.stderr()), ca, admin, "POST", "/v1/key/create/k1");
    expect(r.status).toBe(200);
    expect(existsSync(join(cwd, "data/k1"))).toBe(true);
    await s.stop();
  });

  it("passes `keyfront doctor --probe`, which finds it without --config", async () => {
    const r = await kf(["doctor", "--probe"], {}, cwd);
    expect(r.stdout, r.stderr).toMatch(/^ok +config +certs\/dev\/keyfront\.yaml is valid$/m);
    expect(r.stdout).toMatch(/^ok +probe +created, read and deleted/m);
    // no policy yet, so MinIO could not use it: a warning, which does not fail
    expect(r.stdout).toMatch(/^WARN minio\.routes /m);
    expect(r.stdout).toMatch(/checks: all passed \(1 with a warning\)\n$/);
    expect(r.code).toBe(0);
  });

  it("keeps the operator's edits and comments on later runs, and serves the edited file", async () => {
    const edited = readFileSync(file, "utf8")
      .replace("address: 127.0.0.1:7373", "address: 127.0.0.1:0")
      .concat("# an operator's note\n");
    writeFileSync(file, edited);
    const s = await serve([], cwd);
    expect(s.stderr()).not.toContain("created on this first run");
    expect(s.stderr()).not.toContain("written again");
    expect(readFileSync(file, "utf8")).toBe(edited);
    expect(s.stderr()).not.toContain(":7373");
    await s.stop();
  });
});

describe("the banner", () => {
  it("shows the real bind address when it binds all interfaces, and a local endpoint", async () => {
    const f = makeFixture();
    const s = await startServer({
      yaml: `admin: { identity: ${f.clients.admin.identity} }\ntls: { key: \${DIR}/server.key, cert: \${DIR}/server.crt }\nkeystore: { fs: { path: \${DIR}/keys } }\n`,
      caPem: f.serverCertPem,
      files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
      args: ["--addr", "0.0.0.0:0"],
    });
    try {
      expect(s.stderr()).toMatch(/Listening {2}0\.0\.0\.0:\d+ \(all interfaces\)\n/);
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(s.stderr()).toContain(`Keystore   fs ${s.dir}/keys`);
      const r = await s.request(f.clients.admin, "GET", "/v1/identity/self/describe");
      expect(r.status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it("names the Vault endpoint, mount, version and prefix, never the token", async () => {
    const vault = await startVaultTestServer({});
    const f = makeFixture();
    const s = await startServer({
      yaml: `${vaultServerYaml(f, { addr: vault.addr, engine: "secret", version: "v2", token: vault.rootToken })}    prefix: tenant-a\n`,
      caPem: f.serverCertPem,
      files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
    });
    try {
      expect(s.stderr()).toContain(
        `Keystore   vault ${vault.addr}, engine secret (K/V v2), prefix tenant-a\n`,
      );
      expect(s.stderr()).not.toContain(vault.rootToken);
    } finally {
      await s.stop();
      await vault.close();
    }
  });

  it("--dev: says the keys are in memory and prints an export line that works as pasted", async () => {
    const s = await serve(["--dev", "--addr", "127.0.0.1:0"], tempDir("keyfront-dev-cwd-"));
    expect(s.stderr()).toContain("Keystore   in memory");
    const line = /^ {2}(export KES_SERVER=\S+ KES_API_KEY=kes:v1:\S+; keyfront key ls -k)$/m.exec(
      s.stderr(),
    )?.[1];
    expect(line, s.stderr()).toBeDefined();
    // The line as pasted, with `keyfront` being this build; a key created first must be listed.
    const shell = `keyfront() { "${process.execPath}" "${CLI}" "$@"; }\n${line}\nkeyfront key create pasted -k >/dev/null && keyfront key ls -k --json`;
    const out = execFileSync("bash", ["-ec", shell], {
      encoding: "utf8",
      env: { ...process.env, ...cleanEnv() },
      timeout: 60_000,
    });
    expect(out).toContain("pasted");
    await s.stop();
  });
});
