// A steady generate/decrypt load on a running keyfront server and the measurements the Vault
// fault tests report: requests sent, requests failed, and how long after a fault is cleared a
// request that must reach Vault (creating a fresh key) succeeds with /v1/ready at 200 again.
// Every loop is bounded: the load stops when its `stop` promise resolves, recovery at a limit.

import type { RunningServer, TlsClient } from "../../helpers/server.js";

export interface LoadFigures {
  total: number;
  failed: number;
}

const b64 = (v: string) => Buffer.from(v).toString("base64");

/** `clients` loops generating and decrypting with `key` until `stop` resolves. */
export async function steadyLoad(
  s: RunningServer,
  client: TlsClient,
  key: string,
  stop: Promise<void>,
  clients = 8,
): Promise<LoadFigures> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  let total = 0;
  let failed = 0;
  const context = b64("ctx");
  const loop = async () => {
    while (!done) {
      total += 2;
      try {
        const g = await s.request(
          client,
          "POST",
          `/v1/key/generate/${key}`,
          JSON.stringify({ context }),
        );
        if (g.status !== 200) {
          failed += 2;
          continue;
        }
        const { ciphertext } = g.json() as { ciphertext: string };
        const body = JSON.stringify({ ciphertext, context });
        const d = await s.request(client, "POST", `/v1/key/decrypt/${key}`, body);
        if (d.status !== 200) failed++;
      } catch {
        failed += 2;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { total, failed };
}

let probes = 0;
/** Seconds from now until creating a fresh key (a Vault write) succeeds and /v1/ready is 200. */
export async function recoverySeconds(
  s: RunningServer,
  client: TlsClient,
  limitMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const r = await s
      .request(client, "POST", `/v1/key/create/probe-${process.pid}-${probes++}`)
      .catch(() => undefined);
    if (r?.status === 200 && (await s.request(client, "GET", "/v1/ready")).status === 200) {
      return (Date.now() - started) / 1000;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("no recovery within the limit");
}

export interface FaultRun {
  s: RunningServer;
  client: TlsClient;
  key: string;
  /** How long the fault lasts, in ms. */
  faultMs: number;
  recoveryLimitMs: number;
  inject: () => void | Promise<void>;
  clear: () => void | Promise<void>;
}

/** The steady load through one fault: its figures and the recovery time after clearing it. */
export async function underLoad(run: FaultRun): Promise<LoadFigures & { recovery: number }> {
  let release: () => void = () => {};
  const stop = new Promise<void>((r) => {
    release = r;
  });
  const load = steadyLoad(run.s, run.client, run.key, stop);
  try {
    await new Promise((r) => setTimeout(r, 300));
    await run.inject();
    await new Promise((r) => setTimeout(r, run.faultMs));
    await run.clear();
    const recovery = await recoverySeconds(run.s, run.client, run.recoveryLimitMs);
    release();
    return { ...(await load), recovery };
  } finally {
    release(); // the load stops whatever happened
    await load;
  }
}
