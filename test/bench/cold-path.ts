// The Vault cold path of the benchmark, against the project's Vault test server with 5 ms added
// to every Vault request: the latency of the first use of a key (a cache miss that reads Vault)
// against a warm use, the Vault requests made per 10,000 warm generate requests, and the Vault
// KV reads when 100 clients first use the same key at once (single flight: the target is one
// ring load, i.e. 3 reads: the key's record, its version-2 record and its state record).

import { request } from "node:https";
import { startVaultTestServer } from "../vault-server/server.js";
import { call, cannon } from "./load.js";
import { median } from "./paired.js";
import { type BenchPki, startKeyfront, type Target } from "./targets.js";

const VAULT_LATENCY_MS = 5;
const PREFIX = "kfbench";

/** Latency of one request on a connection that is already open (so TLS is not measured). */
async function timedOnOpenConnection(t: Target, pki: BenchPki, paths: string[]): Promise<number[]> {
  const { Agent } = await import("node:https");
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(t.url);
  const once = (path: string) =>
    new Promise<number>((ok, fail) => {
      const started = process.hrtime.bigint();
      const req = request(
        { host: u.hostname, port: u.port, method: "POST", path, agent, ...pki.tls },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200
              ? ok(Number(process.hrtime.bigint() - started) / 1e6)
              : fail(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on("error", fail);
      req.end("{}");
    });
  await once("/v1/key/list/").catch(() => 0); // open the connection (the answer does not matter)
  const out: number[] = [];
  for (const p of paths) out.push(await once(p));
  agent.destroy();
  return out;
}

export async function coldPath(pki: BenchPki, seconds: number): Promise<Record<string, unknown>> {
  const vault = await startVaultTestServer({});
  const keystore = `keystore:\n  vault:\n    endpoint: ${vault.addr}\n    engine: secret\n    version: v2\n    prefix: ${PREFIX}\n    token: ${vault.rootToken}\n`;
  let kf: Target | undefined;
  try {
    const start = () => startKeyfront(pki, { keystore });
    kf = await start();
    const names = Array.from({ length: 20 }, (_, i) => `cold-${i}`);
    for (const n of [...names, "crowd", "bench"])
      await call(kf.url, pki, "POST", `/v1/key/create/${n}`);
    await kf.stop();
    vault.faults.setLatency(VAULT_LATENCY_MS);
    kf = await start();
    const cold = await timedOnOpenConnection(
      kf,
      pki,
      names.map((n) => `/v1/key/generate/${n}`),
    );
    const warm = await timedOnOpenConnection(
      kf,
      pki,
      names.map((n) => `/v1/key/generate/${n}`),
    );

    await call(kf.url, pki, "POST", "/v1/key/generate/bench", "{}");
    vault.resetRequestCount();
    await cannon(kf.url, pki, "generate", "{}", 64, seconds, undefined, 10_000);
    const warmKv = vault.requestCount(`secret/data/${PREFIX}`);
    const warmAll = vault.requestCount("");

    vault.resetRequestCount();
    const crowd = await Promise.all(
      Array.from({ length: 100 }, () =>
        call(kf?.url as string, pki, "POST", "/v1/key/generate/crowd", "{}"),
      ),
    );
    const crowdKv = vault.requestCount(`secret/data/${PREFIX}/crowd`);
    const result = {
      measured: true,
      vaultLatencyMs: VAULT_LATENCY_MS,
      firstUseMedianMs: median(cold),
      warmUseMedianMs: median(warm),
      vaultKvRequestsPer10kWarm: warmKv,
      vaultRequestsAllPer10kWarm: warmAll,
      crowdOk: crowd.filter((r) => r.status === 200).length,
      vaultKvReadsFor100ConcurrentFirstUses: crowdKv,
    };
    console.log(
      `cold path (Vault test server, +${VAULT_LATENCY_MS} ms per Vault request): first use ${result.firstUseMedianMs.toFixed(1)} ms vs warm ${result.warmUseMedianMs.toFixed(1)} ms (median of 20);` +
        ` Vault KV requests per 10,000 warm generates: ${warmKv} (target 0; all Vault requests incl. health pings: ${warmAll});` +
        ` 100 concurrent first uses of one key: ${crowdKv} Vault KV read(s) (target: one ring load, 3 reads: the key, its version 2 and its state), ${result.crowdOk}/100 answered 200`,
    );
    return result;
  } finally {
    await kf?.stop();
    await vault.close();
  }
}
