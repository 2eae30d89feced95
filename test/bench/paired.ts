// Paired measurement: two servers (or one server with two request bodies) loaded one after the
// other, the order alternating pair by pair, so neither always runs on the warmer or quieter
// machine. Each run also measures the server's CPU time per request (utime + stime ÷ requests),
// which a noisy neighbour disturbs far less than requests/s. A cell reports the medians.

import { pinServers } from "./cpu-pin.js";
import { cannon, type LoadResult, prepare, type Scenario } from "./load.js";
import { cpuMicros, switchesOf } from "./proc-stats.js";
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
  /** The server's threads' waits (voluntary context switches) per answered request. */
  waits: number;
  /** The server's threads' preemptions (involuntary context switches) per answered request. */
  preempts: number;
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
  /** Each pair's a.cpuUs / b.cpuUs, in run order. */
  pairCpuRatios: number[];
}

export async function measure(
  pki: BenchPki,
  side: Side,
  scenario: Scenario,
  connections: number,
  seconds: number,
): Promise<Measured> {
  const switched = await switchesOf(side.target.pid);
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
  const after = await switchesOf(side.target.pid);
  const n = Math.max(r.requests, 1);
  return {
    ...r,
    cpuUs: used / n,
    waits: (after.voluntary - switched.voluntary) / n,
    preempts: (after.involuntary - switched.involuntary) / n,
  };
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
    waits: pick((m) => m.waits),
    preempts: pick((m) => m.preempts),
  };
}

/** A cell from its runs: a.rps / b.rps etc. per pair, medians over the pairs. */
function cellOf(label: string, connections: number, as: Measured[], bs: Measured[]): Cell {
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
    pairs: as.length,
    pairRatios: ratios,
    pairCpuRatios: cpus,
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
  return cellOf(label, connections, as, bs);
}

/** Two runs of one side as one: mean req/s and latencies, CPU per request over both. */
function pooled(x: Measured, y: Measured): Measured {
  const requests = x.requests + y.requests;
  const perRequest = (f: (m: Measured) => number) =>
    (f(x) * x.requests + f(y) * y.requests) / Math.max(requests, 1);
  return {
    rps: (x.rps + y.rps) / 2,
    requests,
    p50: (x.p50 + y.p50) / 2,
    p99: (x.p99 + y.p99) / 2,
    errors: x.errors + y.errors,
    non2xx: x.non2xx + y.non2xx,
    cpuUs: perRequest((m) => m.cpuUs),
    waits: perRequest((m) => m.waits),
    preempts: perRequest((m) => m.preempts),
  };
}

export interface SameServerPair {
  label: string;
  a: Side;
  b: Side;
}

/**
 * Cells of one server under two request bodies each (a key-version cell and its A/A control),
 * in ABBA rounds: a, b, b, a, the next round b, a, a, b. A slow or fast spell of the VM that
 * grows or fades over a round then weighs on both sides alike, which alternating single pairs
 * (pairedCell) do not give: there, the side that ran in the spell's worse half carried it alone.
 * The rounds of the cells are interleaved, so the control sees the same spells as the cell.
 */
export async function abbaCells(
  pki: BenchPki,
  cells: SameServerPair[],
  scenario: Scenario,
  connections: number,
  seconds: number,
  rounds: number,
): Promise<Cell[]> {
  const as: Measured[][] = cells.map(() => []);
  const bs: Measured[][] = cells.map(() => []);
  const run = (side: Side) => measure(pki, side, scenario, connections, seconds);
  for (let i = 0; i < rounds; i++) {
    for (const [k, c] of cells.entries()) {
      const [p, q] = i % 2 === 0 ? [c.a, c.b] : [c.b, c.a];
      const p1 = await run(p);
      const q1 = await run(q);
      const q2 = await run(q);
      const p2 = await run(p);
      const [x, y] = [pooled(p1, p2), pooled(q1, q2)];
      as[k]?.push(i % 2 === 0 ? x : y);
      bs[k]?.push(i % 2 === 0 ? y : x);
    }
  }
  return cells.map((c, k) => cellOf(c.label, connections, as[k] ?? [], bs[k] ?? []));
}

export interface CellSpec {
  scenario: Scenario;
  connections: number;
}

/**
 * Cells of two servers where every pair runs on a fresh pair of processes. A process keeps its
 * speed for its lifetime (where its heap and code landed in memory): an A/A run of one build
 * against itself on two long-lived processes measured one side 9% slower over 16 pairs. Starting
 * both anew for each pair spreads that over the pairs, as alternating spreads the order. With
 * `pin` (bench --pin), each pair's servers run on CPU 0, the load generator on the others.
 */
export async function freshPairedCells(
  pki: BenchPki,
  startA: () => Promise<Target>,
  startB: () => Promise<Target>,
  specs: CellSpec[],
  opts: {
    seconds: number;
    pairs: number;
    warmupSeconds: number;
    pin: boolean;
    /**
     * Load both servers at once (bench --together) instead of one after the other: both then run
     * on the same machine at the same moment, so a slow spell of the VM hits both sides of a pair.
     */
    together?: boolean;
  },
): Promise<Cell[]> {
  const as: Measured[][] = specs.map(() => []);
  const bs: Measured[][] = specs.map(() => []);
  const scenarios = [...new Set(specs.map((s) => s.scenario))];
  for (let i = 0; i < opts.pairs; i++) {
    // The start order alternates too: in A/A runs the server started first was the slower
    // one by about 5% (0.94 and 0.92 over 6 and 16 pairs).
    const [first, second] = i % 2 === 0 ? [startA, startB] : [startB, startA];
    const t1 = await first();
    const t2 = await second().catch(async (err: unknown) => {
      await t1.stop();
      throw err;
    });
    const [ta, tb] = i % 2 === 0 ? [t1, t2] : [t2, t1];
    try {
      if (opts.pin) pinServers([ta.pid, tb.pid]);
      const bodyA = await prepare(ta.url, pki);
      const bodyB = await prepare(tb.url, pki);
      const a = (s: Scenario): Side => ({ target: ta, body: bodyA[s] });
      const b = (s: Scenario): Side => ({ target: tb, body: bodyB[s] });
      for (const s of scenarios) {
        for (const side of [a(s), b(s)]) await measure(pki, side, s, 64, opts.warmupSeconds);
      }
      for (const [k, spec] of specs.entries()) {
        const first = (i + k) % 2 === 0;
        const [p, q] = first ? [a, b] : [b, a];
        const run = (side: Side) =>
          measure(pki, side, spec.scenario, spec.connections, opts.seconds);
        const [x, y] = opts.together
          ? await Promise.all([run(p(spec.scenario)), run(q(spec.scenario))])
          : [await run(p(spec.scenario)), await run(q(spec.scenario))];
        as[k]?.push(first ? x : y);
        bs[k]?.push(first ? y : x);
      }
    } finally {
      await ta.stop();
      await tb.stop();
    }
  }
  return specs.map((spec, k) => cellOf(spec.scenario, spec.connections, as[k] ?? [], bs[k] ?? []));
}
