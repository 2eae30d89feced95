// HA Vault behind a DNS name, end to end (issue 13, README "HA Vault behind a DNS name"): the real
// keyfront server (offline cache on) reaches a two-node Vault test cluster (127.0.0.1 and
// 127.0.0.2, one port, shared storage, real TLS) through `https://vault.ha.test:<port>`, the name
// resolved through KEYFRONT_VAULT_HOSTS_FILE, which the test rewrites. Under a steady load —
// generate/decrypt on a cached key, generate on keys the cache cannot hold (every one a Vault
// read), creates (Vault writes) — the active node is switched several times, in three ways:
//   redirect:   the active node steps down, no node is active for ELECTION_MS (503), the other is
//               elected and the name moves; the old node is a standby that redirects (307);
//   forwarding: the same, but the old node is a standby that serves (forwards) every request;
//   crash:      the active node drops every connection; the other is elected; the name moves
//               DNS_LAG_MS later (the service catalogue's health check noticing).
// Asserted: no request of the load fails; keyfront's writes reach the new active node without a
// restart; once a health poll has run, no pooled connection to the old node is left (the old node
// sees nothing of a further burst); /v1/status names the new node's address. Printed: requests,
// failures and the recovery time (from the old node's step-down or crash until the first
// keyfront write reaches the new one), p50 and max per way.

import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { kf } from "../cli/cli-helpers.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestCluster, type VaultTestCluster } from "./vault/ha-cluster.js";
import { vaultServerYaml } from "./vault/server-yaml.js";

type Way = "redirect" | "forwarding" | "crash";
const WAYS: Way[] = ["redirect", "forwarding", "crash"];
const ROUNDS = 3;
const ELECTION_MS = 200;
const DNS_LAG_MS = 300;
const LOAD_BEFORE_SWITCH_MS = 300;
const COLD_KEYS = 16;
/** A guard against a hang, not a performance bound: the figures are printed. */
const RECOVERY_LIMIT_MS = 30_000;
const NAME = "vault.ha.test";
const ctx = Buffer.from("ha").toString("base64");

let cluster: VaultTestCluster;
let f: Fixture;
let s: RunningServer;
let dir: string;
let hostsFile: string;
let active = 0;
const rows: string[] = [];
const recoveries: Record<Way, number[]> = { redirect: [], forwarding: [], crash: [] };
const afterMoves: Record<Way, number[]> = { redirect: [], forwarding: [], crash: [] };
const totals = { requests: 0, failed: 0 };

const ipOf = (node: number) => new URL(cluster.nodes[node]?.addr ?? "").hostname;
const pointAt = (node: number) => writeFileSync(hostsFile, `${ipOf(node)} ${NAME}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await startVaultTestCluster(NAME);
  cluster.elect(0);
  dir = await mkdtemp(join(tmpdir(), "keyfront-ha-"));
  hostsFile = join(dir, "hosts");
  pointAt(0);
  f = makeFixture();
  s = await startServer({
    yaml: vaultServerYaml(
      f,
      {
        addr: cluster.endpoint,
        engine: "secret",
        version: "v2",
        token: cluster.nodes[0].rootToken,
        prefix: "ha",
        ca: "${DIR}/vault-ca.pem",
        ping: "300ms",
      },
      "cache:\n  expiry: { any: 5m, unused: 5m, offline: 5m }\n  max_keys: 8\n",
    ),
    caPem: f.serverCertPem,
    env: { KEYFRONT_VAULT_HOSTS_FILE: hostsFile },
    files: {
      "server.crt": f.serverCertPem,
      "server.key": f.serverKeyPem,
      "vault-ca.pem": cluster.nodes[0].caPem ?? "",
    },
  });
  agent = new Agent({
    keepAlive: true,
    ca: f.serverCertPem,
    cert: f.clients.admin.certPem,
    key: f.clients.admin.keyPem,
    servername: "localhost",
  });
  for (const name of ["hot", ...Array.from({ length: COLD_KEYS }, (_, i) => `cold-${i}`)]) {
    expect((await s.request(f.clients.admin, "POST", `/v1/key/create/${name}`)).status).toBe(200);
  }
});

afterAll(async () => {
  const p50 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] ?? 0;
  console.log(
    [
      "HA Vault behind a name  | load requests | failed | recovery (ms) | after move (ms)",
      ...rows,
      ...WAYS.map(
        (w) =>
          `${w.padEnd(10)} over ${recoveries[w].length} switches: recovery p50 ${p50(recoveries[w])} ms, max ${Math.max(0, ...recoveries[w])} ms; after the name moved p50 ${p50(afterMoves[w])} ms, max ${Math.max(0, ...afterMoves[w])} ms`,
      ),
      `all: ${totals.requests} requests, ${totals.failed} failed`,
    ].join("\n"),
  );
  agent?.destroy();
  await s?.stop();
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let agent: Agent;
/** A POST as the admin over the load's kept-alive connections (the load's client side is cheap). */
function post(
  path: string,
  body: string,
): Promise<{ status: number; body: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: s.port,
        method: "POST",
        path,
        agent,
        headers: { "Content-Length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

interface Load {
  stop: () => Promise<{ total: number; failed: number; failures: string[] }>;
}

let created = 0;
/** 4 loops on the cached key, 2 on keys the cache cannot hold, 1 creating keys. */
function startLoad(): Load {
  let done = false;
  let total = 0;
  const failures: string[] = [];
  const run = async (what: string, path: string, body: string) => {
    total++;
    const r = await post(path, body).catch((e: Error) => e);
    if (r instanceof Error || r.status !== 200) {
      failures.push(`${what}: ${r instanceof Error ? r.message : `${r.status} ${r.body}`}`);
      return undefined;
    }
    return (r.body === "" ? {} : r.json()) as { ciphertext?: string };
  };
  const hot = async () => {
    while (!done) {
      const g = await run("generate hot", "/v1/key/generate/hot", JSON.stringify({ context: ctx }));
      const ciphertext = g?.ciphertext;
      if (ciphertext !== undefined) {
        const body = JSON.stringify({ ciphertext, context: ctx });
        await run("decrypt hot", "/v1/key/decrypt/hot", body);
      }
    }
  };
  const cold = async (start: number) => {
    for (let i = start; !done; i++) {
      const body = JSON.stringify({ context: ctx });
      await run("generate cold", `/v1/key/generate/cold-${i % COLD_KEYS}`, body);
    }
  };
  const create = async () => {
    while (!done) {
      const name = `new-${created++}`;
      if (await run("create", `/v1/key/create/${name}`, "")) {
        await run("generate new", `/v1/key/generate/${name}`, JSON.stringify({ context: ctx }));
      }
    }
  };
  const loops = Promise.all([hot(), hot(), hot(), hot(), cold(0), cold(COLD_KEYS / 2), create()]);
  return {
    stop: async () => {
      done = true;
      await loops;
      return { total, failed: failures.length, failures };
    },
  };
}

const writes = (node: number, prefix = "new-") =>
  cluster.nodes[node]?.requestCount(`secret/data/ha/${prefix}`) ?? 0;
const healthPolls = () => cluster.nodes.reduce((n, node) => n + node.requestCount("sys/health"), 0);

/** Switches the active node `way`: the moments the old one stopped serving and the name moved. */
async function switchActive(way: Way, to: number): Promise<{ t0: number; moved: number }> {
  const from = active;
  const t0 = performance.now();
  if (way === "crash") {
    cluster.nodes[from]?.faults.dropNext(Number.MAX_SAFE_INTEGER);
    cluster.elect(to);
    await sleep(DNS_LAG_MS);
  } else {
    cluster.elect(undefined);
    await sleep(ELECTION_MS);
    cluster.elect(to, { forwarding: way === "forwarding" });
  }
  pointAt(to);
  active = to;
  return { t0, moved: performance.now() };
}

/** Milliseconds from `t0` until a keyfront write has reached node `to`. */
async function recoveryMs(t0: number, to: number, before: number): Promise<number> {
  await until(() => writes(to) > before, "a keyfront write reaching the new node");
  return Math.round(performance.now() - t0);
}

/** Waits until `done()` (polling every 5 ms); throws after RECOVERY_LIMIT_MS. */
async function until(done: () => boolean, what: string): Promise<void> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > RECOVERY_LIMIT_MS) throw new Error(`${what}: not seen`);
    await sleep(5);
  }
}

/** Creates and uncached reads after the load: every one must go to `to`, none to the other. */
async function burstOnlyTo(to: number): Promise<void> {
  const other = 1 - to;
  const seen = cluster.nodes[other]?.requestCount() ?? 0;
  const before = writes(to, "burst-");
  for (let i = 0; i < 10; i++) {
    const name = `burst-${created++}`;
    expect((await s.request(f.clients.admin, "POST", `/v1/key/create/${name}`)).status).toBe(200);
    const g = await s.request(
      f.clients.admin,
      "POST",
      `/v1/key/generate/cold-${i}`,
      JSON.stringify({ context: ctx }),
    );
    expect(g.status).toBe(200);
  }
  expect(writes(to, "burst-")).toBeGreaterThanOrEqual(before + 10);
  expect(cluster.nodes[other]?.requestCount()).toBe(seen);
}

it("follows the active node through name moves under load: no failed request", async () => {
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of WAYS) {
      const to = 1 - active;
      const from = active;
      const load = startLoad();
      await sleep(LOAD_BEFORE_SWITCH_MS);
      const before = writes(to);
      const { t0, moved } = await switchActive(way, to);
      let recovery: number;
      try {
        recovery = await recoveryMs(t0, to, before);
        // Polls run one at a time: the third arriving means the second, sent after the move,
        // is done — and every health answer cleans the pool (standby: all, active: the rest).
        const polls = healthPolls();
        await until(() => healthPolls() >= polls + 3, "three health polls");
      } finally {
        await load.stop();
      }
      const afterMove = Math.max(0, Math.round(recovery - (moved - t0)));
      const { total, failed, failures } = await load.stop();
      rows.push(
        `${`${way} ${from}→${to}`.padEnd(23)} | ${String(total).padStart(13)} | ${String(failed).padStart(6)} | ${String(recovery).padStart(13)} | ${String(afterMove).padStart(15)}`,
      );
      recoveries[way].push(recovery);
      afterMoves[way].push(afterMove);
      totals.requests += total;
      totals.failed += failed;
      expect(failures).toEqual([]);
      expect(total).toBeGreaterThan(0);
      await burstOnlyTo(to);
      const st = (await s.request(f.clients.admin, "GET", "/v1/status")).json() as Record<
        string,
        unknown
      >;
      expect(st).toMatchObject({
        keystore_endpoint: cluster.endpoint,
        keystore_address: `${ipOf(to)}:${cluster.port}`,
      });
      // The crashed node comes back as a standby, ready to be elected again.
      if (way === "crash") {
        cluster.nodes[from]?.faults.reset();
        cluster.elect(to);
      }
    }
  }
  expect(totals.failed).toBe(0);
  expect(s.stderr() + s.stdout()).toContain("vault: reconnecting");
});

it("`keyfront status` names the Vault node that answered last", async () => {
  await writeFile(join(dir, "admin.crt"), f.clients.admin.certPem);
  await writeFile(join(dir, "admin.key"), f.clients.admin.keyPem, { mode: 0o600 });
  await writeFile(join(dir, "server.crt"), f.serverCertPem);
  const human = await kf(["status"], {
    KES_SERVER: s.url.replace("https://", ""),
    KES_CLIENT_CERT: join(dir, "admin.crt"),
    KES_CLIENT_KEY: join(dir, "admin.key"),
    NODE_EXTRA_CA_CERTS: join(dir, "server.crt"),
  });
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(
    new RegExp(`^\\s*Vault node\\s+${ipOf(active)}:${cluster.port}$`, "m"),
  );
});
