// The real keyfront server (built CLI) on the Vault test server with injected latency, so a
// request provably waits on the keystore: a client that hangs up meanwhile is not a keystore
// failure (no ERROR line, the cache stays online); a SIGHUP during a slow create lets the create
// finish on the old state's keystore (closed only once its requests have ended); and a SIGHUP
// arriving during a reload is queued, so the second configuration is applied too and wins.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, requestTo, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let f: Fixture;
let s: RunningServer;
const engine = unique("kv");

const yamlWith = (extra: string) =>
  vaultServerYaml(f, { addr: vault.addr, engine, version: "v2", token: "${VAULT_TOKEN}" }, extra);

beforeAll(async () => {
  vault = await startVaultTestServer({});
  await new VaultAdmin(vault.addr, vault.rootToken).mountKv(engine, "v2");
  f = makeFixture();
}, 30_000);
afterAll(async () => {
  await vault?.close();
});
afterEach(async () => {
  vault.faults.setLatency(0);
  await s?.stop();
});

async function start(extra = ""): Promise<void> {
  s = await startServer({
    yaml: yamlWith(extra),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
    env: { VAULT_TOKEN: vault.rootToken },
  });
  await waitFor("ready", async () =>
    (await s.request(f.clients.admin, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );
}

const admin = (method: string, path: string) => s.request(f.clients.admin, method, path);
const count = (re: RegExp) => (s.stderr().match(re) ?? []).length;
/** Error-log lines at ERROR (pino level 50) on the server's stderr. */
const errorLines = () =>
  s
    .stderr()
    .split("\n")
    .filter((l) => l.includes('"level":50'));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a request with the admin certificate; `hangUp()` drops the connection unanswered. */
function pendingRequest(method: string, path: string) {
  const req = requestTo(s, f.clients.admin, method, path);
  req.on("error", () => {});
  const answered = new Promise<number>((resolve) =>
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }),
  );
  req.end(method === "POST" && path.includes("/generate/") ? "{}" : undefined);
  return { answered, hangUp: () => req.destroy() };
}

it("does not log a client's hang-up during a slow keystore call as a keystore failure", async () => {
  await start();
  expect((await admin("POST", "/v1/key/create/hangup-read")).status).toBe(200);
  const latency = 1_000;
  vault.faults.setLatency(latency);
  vault.resetRequestCount();
  // A read (cache miss) and a create, each waiting on Vault when the client leaves.
  const read = pendingRequest("POST", "/v1/key/generate/hangup-read");
  const create = pendingRequest("POST", "/v1/key/create/hangup-create");
  await waitFor("both calls to reach Vault", async () =>
    vault.requestCount(`${engine}/data/hangup-read`) > 0 &&
    vault.requestCount(`${engine}/data/hangup-create`) > 0
      ? true
      : undefined,
  );
  read.hangUp();
  create.hangUp();
  await settle(latency + 500); // past the moment Vault answers the abandoned calls
  vault.faults.setLatency(0);
  expect(errorLines()).toEqual([]);
  expect((await admin("GET", "/v1/ready")).status).toBe(200);
  const status = (await admin("GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status.keystore_unavailable).toBeUndefined();
  expect((await admin("POST", "/v1/key/generate/hangup-read")).status).toBe(200);
});

it("lets a create in flight during a SIGHUP reload finish on the old keystore", async () => {
  await start();
  // Longer than the old fixed 5 s grace after which the old keystore used to be closed.
  vault.faults.setLatency(6_000);
  vault.resetRequestCount();
  const create = pendingRequest("POST", "/v1/key/create/across-reload");
  await waitFor("the create to reach Vault", async () =>
    vault.requestCount(`${engine}/data/across-reload`) > 0 ? true : undefined,
  );
  s.proc.kill("SIGHUP");
  await waitFor("the reload", async () =>
    s.stderr().includes("keyfront: configuration reloaded") ? true : undefined,
  );
  expect(await create.answered).toBe(200);
  vault.faults.setLatency(0);
  expect((await admin("GET", "/v1/key/describe/across-reload")).status).toBe(200);
  expect((await admin("POST", "/v1/key/create/across-reload")).status).toBe(400);
  expect((await admin("POST", "/v1/key/generate/across-reload")).status).toBe(200);
  expect(errorLines()).toEqual([]);
}, 30_000);

it("queues a SIGHUP that arrives during a reload: both apply, the second config wins", async () => {
  await start();
  const stranger = f.clients.stranger;
  const cfg = join(s.dir, "config.yaml");
  const base = yamlWith("").replaceAll("${DIR}", s.dir);
  // A predefined key makes each reload create it in Vault, which the latency makes slow.
  vault.faults.setLatency(1_500);
  await writeFile(cfg, `${base}keys:\n  - name: pre-first\n`);
  s.proc.kill("SIGHUP");
  await waitFor("the first reload to start", async () =>
    count(/keyfront: reloading the configuration/g) === 1 ? true : undefined,
  );
  const grant = `policy:\n  late:\n    allow: [/v1/key/describe/*]\n    identities: [${stranger.identity}]\n`;
  await writeFile(cfg, `${base}keys:\n  - name: pre-second\n${grant}`);
  s.proc.kill("SIGHUP");
  await waitFor(
    "both reloads",
    async () => (count(/keyfront: configuration reloaded/g) === 2 ? true : undefined),
    20_000,
  );
  vault.faults.setLatency(0);
  expect(count(/keyfront: reloading the configuration/g)).toBe(2);
  expect((await admin("GET", "/v1/key/describe/pre-first")).status).toBe(200);
  expect((await admin("GET", "/v1/key/describe/pre-second")).status).toBe(200);
  expect((await s.request(stranger, "GET", "/v1/key/describe/pre-second")).status).toBe(200);
}, 30_000);
