// Paired measurement: two servers (or one server with two request bodies) loaded one after the
// other, the order alternating pair by pair, so neither always runs on the warmer or quieter
// machine. Each run also measures the server's CPU time per request (utime + stime ÷ requests),
// which a noisy neighbour disturbs far less than requests/s. A cell reports the medians.

import { cannon, type LoadResult, type Scenario } from "./load.js";
import { cpuMicros } from "./proc-stats.js";
import type { BenchPki, Target } from "./targets.js";

export interface Side {
  target: Target;
  body: string;
  /** Request paths to cycle through (default: the scenario's bench key). */
  paths?: string[];
}

export interface Measured extends LoadResult {
  /** Server CPU microseconds per answered request. */
  cpuUs: number;
}

export interface Cell {
  scenario: string;
  connections: number;
  a: Measured;
  b: Measured;
  /** Median over the pairs of a.rps / b.rps. */
  ratio: number;
  /** Median over the pairs of a.p99 / b.p99. */
  p99x: number;
  /** Median over the pairs of a.cpuUs / b.cpuUs. */
  cpux: number;
  pairs: number;
  /** Each pair's a.rps / b.rps, in run order (for the JSON results). */
  pairRatios: number[];
}

export async function measure(
  pki: BenchPki,
  side: Side,
  scenario: Scenario,
  connections: number,
  seconds: number,
): Promise<Measured> {
  const before = await cpuMicros(side.target.pid);
  const r = await cannon(
    side.target.url,
    pki,
    scenario,
    side.body,
    connections,
    seconds,
    side.paths,
  );
  const used = (await cpuMicros(side.target.pid)) - before;
  return { ...r, cpuUs: used / Math.max(r.requests, 1) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function medianRun(runs: Measured[]): Measured {
  const pick = (f: (m: Measured) => number) => median(runs.map(f));
  return {
    rps: pick((m) => m.rps),
    requests: runs.reduce((t, m) => t + m.requests, 0),
    p50: pick((m) => m.p50),
    p99: pick((m) => m.p99),
    errors: runs.reduce((t, m) => t + m.errors, 0),
    non2xx: runs.reduce((t, m) => t + m.non2xx, 0),
    cpuUs: pick((m) => m.cpuUs),
  };
}

/** `pairs` alternating pairs of runs of `a` and `b`; ratios are a over b. */
export async function pairedCell(
  pki: BenchPki,
  a: Side,
  b: Side,
  scenario: Scenario,
  connections: number,
  seconds: number,
  pairs: number,
  label: string = scenario,
): Promise<Cell> {
  const as: Measured[] = [];
  const bs: Measured[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0;
    const x = await measure(pki, first ? a : b, scenario, connections, seconds);
    const y = await measure(pki, first ? b : a, scenario, connections, seconds);
    as.push(first ? x : y);
    bs.push(first ? y : x);
  }
  const ratios = as.map((m, i) => m.rps / (bs[i] as Measured).rps);
  const p99s = as.map((m, i) => m.p99 / Math.max((bs[i] as Measured).p99, 1));
  const cpus = as.map((m, i) => m.cpuUs / (bs[i] as Measured).cpuUs);
  return {
    scenario: label,
    connections,
    a: medianRun(as),
    b: medianRun(bs),
    ratio: median(ratios),
    p99x: median(p99s),
    cpux: median(cpus),
    pairs,
    pairRatios: ratios,
  };
}
