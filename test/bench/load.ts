// Load generation: autocannon over mTLS keep-alive for the request scenarios, and a small loop
// of its own for "a new TLS connection per request" (autocannon keeps connections open).

import { request } from "node:https";
import autocannon from "autocannon";
import type { BenchPki } from "./targets.js";

export type Scenario = "generate" | "decrypt" | "encrypt" | "create";

export interface LoadResult {
  /** Answered requests per second over the run. */
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export function call(
  url: string,
  pki: BenchPki,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, method, path, agent: false, ...pki.tls },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => ok({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

/** Creates the bench key and returns the request body of each scenario. */
export async function prepare(url: string, pki: BenchPki): Promise<Record<Scenario, string>> {
  await call(url, pki, "POST", "/v1/key/create/bench");
  const ctx = Buffer.from('{"bucket":"bench","object":"o"}').toString("base64");
  const dek = JSON.parse(
    (await call(url, pki, "POST", "/v1/key/generate/bench", JSON.stringify({ context: ctx }))).text,
  ) as { ciphertext: string };
  return {
    generate: JSON.stringify({ context: ctx }),
    decrypt: JSON.stringify({ ciphertext: dek.ciphertext, context: ctx }),
    encrypt: JSON.stringify({ plaintext: Buffer.alloc(1024, 7).toString("base64"), context: ctx }),
    create: "",
  };
}

let unique = 0;

export async function cannon(
  url: string,
  pki: BenchPki,
  scenario: Scenario,
  body: string,
  connections: number,
  seconds: number,
  paths?: string[],
  amount?: number,
  /** Called at each response, as it comes (the GC section counts those of its window). */
  onResponse?: () => void,
): Promise<LoadResult> {
  const fixedPath = `/v1/key/${scenario}/bench`;
  const run = process.hrtime.bigint().toString(36);
  // A cell that sends one path sends one request, which autocannon builds once. A setupRequest
  // makes autocannon build every request again (headers, a buffer, an id): CPU the load generator
  // took from the servers on the cores it shares with them. In the workers cell (generate @64):
  // with it, 2 workers reached 1.03-1.04x one worker's req/s, waited 0.17-0.18 times per request
  // and cost 1.09-1.13x its CPU per request; without it, 1.61x, 0.065 waits and 0.85x (8 pairs).
  const varying = scenario === "create" || paths !== undefined;
  const tracker = autocannon({
    url,
    method: "POST",
    connections,
    ...(amount ? { amount } : { duration: seconds }),
    tlsOptions: pki.tls,
    requests: [
      varying
        ? {
            method: "POST",
            body,
            setupRequest: (req: { path?: string }) => {
              if (scenario === "create") req.path = `/v1/key/create/b-${run}-${unique++}`;
              else req.path = (paths as string[])[unique++ % (paths as string[]).length] as string;
              return req;
            },
          }
        : { method: "POST", path: fixedPath, body },
    ],
  } as autocannon.Options) as Promise<autocannon.Result> & autocannon.Instance; // a thenable Instance
  if (onResponse) tracker.on("response", onResponse);
  const r = await tracker;
  const requests = r.requests.total;
  return {
    rps: requests / Math.max(r.duration, 1e-9),
    requests,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

/** Requests per second when every request opens a new TLS connection (`concurrency` loops). */
export async function newConnectionRate(
  url: string,
  pki: BenchPki,
  body: string,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const loop = async () => {
    while (Date.now() < end) {
      try {
        const r = await call(url, pki, "POST", "/v1/key/generate/bench", body);
        if (r.status === 200) done++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const rps = done / ((Date.now() - started) / 1000);
  return { rps, requests: done, p50: 0, p99: 0, errors, non2xx: 0 };
}
