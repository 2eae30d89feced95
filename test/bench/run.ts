// `npm run bench`: keyfront against a bare node:https baseline measured in the same run,
// alternating, for key/generate, key/decrypt, key/encrypt (1 KiB) and key/create at 1, 16 and
// 64 connections (mTLS keep-alive), plus a new TLS connection per request; then memory, workers
// and the Vault cold path. Prints a table with keyfront/baseline ratios and the targets, and
// writes JSON to bench-results/. Flags: --seconds N (per run, default 5), --quick (64 connections
// only), --only warm,memory,workers,cold (sections to run).
// Targets are reported, never asserted: these machines are noisy.

import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { coldPath } from "./cold-path.js";
import { cannon, type LoadResult, newConnectionRate, prepare, type Scenario } from "./load.js";
import {
  makeBenchPki,
  rssOf,
  startBaseline,
  startKeyfront,
  type Target,
  treeRssOf,
} from "./targets.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "warm,memory,workers,cold" },
  },
});
const SECTIONS = new Set(values.only.split(","));
const SECONDS = Number(values.seconds);
const WARMUP_SECONDS = 2;
const SCENARIOS: Scenario[] = ["generate", "decrypt", "encrypt", "create"];
const CONNECTIONS = values.quick ? [64] : [1, 16, 64];

interface Row {
  scenario: string;
  connections: number | string;
  keyfront: LoadResult;
  baseline: LoadResult | undefined;
}
const rows: Row[] = [];
const extra: Record<string, unknown> = {};
const fmt = (n: number, d = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

async function warm(pki: Awaited<ReturnType<typeof makeBenchPki>>): Promise<void> {
  const kf = await startKeyfront(pki);
  const base = await startBaseline(pki);
  try {
    const bodies = { keyfront: await prepare(kf.url, pki), baseline: await prepare(base.url, pki) };
    // Warm both up (JIT, TLS session state, caches) before anything is measured.
    for (const t of [kf, base]) {
      for (const scenario of ["generate", "decrypt"] as const) {
        await cannon(t.url, pki, scenario, bodies[t.name][scenario], 64, WARMUP_SECONDS);
      }
    }
    for (const scenario of SCENARIOS) {
      for (const c of CONNECTIONS) {
        // Alternate the order each cell so neither server always runs on a warmer machine.
        const order: Target[] = rows.length % 2 === 0 ? [kf, base] : [base, kf];
        const got: Partial<Record<Target["name"], LoadResult>> = {};
        for (const t of order)
          got[t.name] = await cannon(t.url, pki, scenario, bodies[t.name][scenario], c, SECONDS);
        rows.push({
          scenario,
          connections: c,
          keyfront: got.keyfront as LoadResult,
          baseline: got.baseline,
        });
        report(rows[rows.length - 1] as Row);
      }
    }
    const nk = await newConnectionRate(kf.url, pki, bodies.keyfront.generate, 16, SECONDS);
    const nb = await newConnectionRate(base.url, pki, bodies.baseline.generate, 16, SECONDS);
    rows.push({
      scenario: "generate, new TLS conn/request",
      connections: 16,
      keyfront: nk,
      baseline: nb,
    });
    report(rows[rows.length - 1] as Row);
  } finally {
    await kf.stop();
    await base.stop();
  }
}

function report(r: Row): void {
  const ratio = r.baseline ? r.keyfront.rps / r.baseline.rps : Number.NaN;
  const p99 = r.baseline && r.baseline.p99 > 0 ? r.keyfront.p99 / r.baseline.p99 : Number.NaN;
  const cells = [
    r.scenario.padEnd(31),
    String(r.connections).padStart(4),
    fmt(r.keyfront.rps).padStart(8),
    `${r.keyfront.p50}/${r.keyfront.p99}`.padStart(9),
    fmt(r.baseline?.rps ?? Number.NaN).padStart(8),
    `${r.baseline?.p50 ?? "-"}/${r.baseline?.p99 ?? "-"}`.padStart(9),
    fmt(ratio, 2).padStart(6),
    fmt(p99, 2).padStart(6),
    String(r.keyfront.errors + r.keyfront.non2xx).padStart(5),
  ];
  console.log(cells.join(" "));
}

async function memory(pki: Awaited<ReturnType<typeof makeBenchPki>>): Promise<void> {
  const kf = await startKeyfront(pki);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idle = await rssOf(kf.pid);
    const names = Array.from({ length: 10_000 }, (_, i) => `/v1/key/create/m-${i}`);
    const started = Date.now();
    await cannon(kf.url, pki, "generate", "", 64, 0, names, names.length);
    extra.createTenThousandSeconds = (Date.now() - started) / 1000;
    let peak = 0;
    const sampler = setInterval(
      () =>
        void rssOf(kf.pid).then((v) => {
          peak = Math.max(peak, v);
        }),
      200,
    );
    const gen = names.map((n) => n.replace("/create/", "/generate/"));
    const load = await cannon(kf.url, pki, "generate", "{}", 64, SECONDS * 2, gen);
    clearInterval(sampler);
    extra.memory = {
      idleRssMB: idle / 2 ** 20,
      underLoadPeakRssMB: peak / 2 ** 20,
      cachedKeys: 10_000,
      loadRps: load.rps,
    };
    console.log(
      `\nmemory: RSS idle ${fmt(idle / 2 ** 20, 1)} MB; under load over 10,000 cached keys ${fmt(peak / 2 ** 20, 1)} MB (target < 150 MB) at ${fmt(load.rps)} req/s`,
    );
  } finally {
    await kf.stop();
  }
}

async function workers(pki: Awaited<ReturnType<typeof makeBenchPki>>): Promise<void> {
  const result: Record<string, number> = {};
  for (const n of [1, 2]) {
    const kf = await startKeyfront(pki, { workers: n });
    try {
      const bodies = await prepare(kf.url, pki);
      const r = await cannon(kf.url, pki, "generate", bodies.generate, 64, SECONDS);
      result[`workers${n}`] = r.rps;
      result[`workers${n}RssMB`] = (await treeRssOf(kf.pid)) / 2 ** 20;
    } finally {
      await kf.stop();
    }
  }
  extra.workers = result;
  const ratio = (result.workers2 ?? 0) / (result.workers1 ?? 1);
  console.log(
    `workers: generate at 64 connections, 1 worker ${fmt(result.workers1 ?? 0)} req/s, 2 workers ${fmt(result.workers2 ?? 0)} req/s = ${fmt(ratio, 2)}x (target >= 1.3x; the load generator shares the 2 cores)`,
  );
}

async function main(): Promise<void> {
  const pki = await makeBenchPki();
  try {
    console.log(
      `keyfront benchmark: ${SECONDS}s per run, node ${process.version}, ${(await import("node:os")).availableParallelism()} cores`,
    );
    console.log(
      [
        "scenario".padEnd(31),
        "conn",
        "kf req/s",
        "kf p50/99",
        "bl req/s",
        "bl p50/99",
        "ratio",
        "p99x",
        "errs",
      ].join(" "),
    );
    if (SECTIONS.has("warm")) await warm(pki);
    if (SECTIONS.has("memory")) await memory(pki);
    if (SECTIONS.has("workers")) await workers(pki);
    if (SECTIONS.has("cold")) extra.coldPath = await coldPath(pki, SECONDS);
  } finally {
    await pki.cleanup();
  }
  const out = resolve(import.meta.dirname, "../../../bench-results");
  await mkdir(out, { recursive: true });
  const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify({ seconds: SECONDS, rows, ...extra }, null, 2)}\n`);
  const pick = (s: string) => rows.find((r) => r.scenario === s && r.connections === 64);
  console.log("\ntargets:");
  for (const s of ["generate", "decrypt"]) {
    const r = pick(s);
    if (!r?.baseline) continue;
    const ratio = r.keyfront.rps / r.baseline.rps;
    const p99 = r.keyfront.p99 / Math.max(r.baseline.p99, 1);
    console.log(
      `  ${s} @64: keyfront/baseline ${fmt(ratio, 2)} (>= 0.90: ${ratio >= 0.9 ? "met" : "NOT met"}), p99 ${fmt(p99, 2)}x (<= 1.2x: ${p99 <= 1.2 ? "met" : "NOT met"})`,
    );
  }
  console.log(`results written to ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
