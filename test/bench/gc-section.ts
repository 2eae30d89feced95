// The GC section of the bench: keyfront (audit on) and the baseline, each with the bench-only GC
// probe (gc-probe.ts), under a steady 64-connection load for 8 s per scenario: JS heap allocated
// per request, bytes promoted to old space, scavenges and mark-compacts in the window. Each server
// is measured right after its start (measureServer says why).

import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { GcSummary } from "./gc-probe.js";
import { cannon, prepare, type Scenario } from "./load.js";
import { fmt, type TargetLine, targetLine } from "./report.js";
import { type BenchPki, startBaseline, startKeyfront, type Target } from "./targets.js";

/** The probe's summary of one window and the requests answered in it. */
type Window = GcSummary & { requests: number };
/** One server's windows, one per scenario. */
type Windows = Record<"generate" | "decrypt", Window>;

async function profiled(
  pki: BenchPki,
  t: Target,
  file: string,
  scenario: Scenario,
  body: string,
  seconds: number,
): Promise<Window> {
  await rm(file, { force: true });
  process.kill(t.pid, "SIGUSR2");
  const r = await cannon(t.url, pki, scenario, body, 64, seconds);
  process.kill(t.pid, "SIGUSR2");
  for (let i = 0; i < 100; i++) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text !== "") return { ...(JSON.parse(text) as GcSummary), requests: r.requests };
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`${t.label}: the GC probe wrote no summary to ${file}`);
}

/**
 * One server, started for this and stopped after: both scenarios back to back, each a 2 s warm-up
 * and then the measured window. Not the two servers in turn: a server left idle while the other
 * one is measured has its heap shrunk by V8's memory reducer, and when load comes back it
 * mark-compacts once or twice as the heap grows again (reproduced with --trace-gc: after a 10 s
 * idle, two mark-compacts "via task" 2 s apart, the second in the window), which says how the
 * bench paused the server, not how it runs under a steady load.
 */
async function measureServer(
  pki: BenchPki,
  start: () => Promise<Target>,
  file: string,
  seconds: number,
): Promise<Windows> {
  const t = await start();
  try {
    const bodies = await prepare(t.url, pki);
    const got: Partial<Windows> = {};
    for (const scenario of ["generate", "decrypt"] as const) {
      await cannon(t.url, pki, scenario, bodies[scenario], 64, 2); // warm-up
      got[scenario] = await profiled(pki, t, file, scenario, bodies[scenario], seconds);
    }
    return got as Windows;
  } finally {
    await t.stop();
  }
}

export async function gcSection(
  pki: BenchPki,
  seconds: number,
  targets: TargetLine[],
): Promise<Record<string, unknown>> {
  const kfFile = join(pki.dir, "gc-keyfront.json");
  const blFile = join(pki.dir, "gc-baseline.json");
  console.log(
    `\nGC over a steady ${seconds} s at 64 connections (V8 GC profiler in each server; each server measured right after its start, both scenarios back to back)`,
  );
  const kf = await measureServer(
    pki,
    () => startKeyfront(pki, { gcFile: kfFile }),
    kfFile,
    seconds,
  );
  const bl = await measureServer(pki, () => startBaseline(pki, blFile), blFile, seconds);
  const result: Record<string, unknown> = {};
  for (const scenario of ["generate", "decrypt"] as const) {
    const k = kf[scenario];
    const b = bl[scenario];
    const perReq = (g: Window) => g.allocatedBytes / g.requests;
    const line = (name: string, g: Window) =>
      `  ${scenario} ${name.padEnd(9)} ${fmt(perReq(g) / 1024, 1).padStart(6)} KB/request allocated, ${fmt(g.promotedBytes / g.requests, 0).padStart(5)} B/request promoted, ${g.scavenges} scavenges, ${g.markCompacts} mark-compacts, ${g.requests} requests`;
    console.log(line("keyfront", k));
    console.log(line("baseline", b));
    result[scenario] = { keyfront: k, baseline: b };
    targets.push(
      targetLine(
        `heap allocated per request, ${scenario} (keyfront/baseline)`,
        perReq(k) / perReq(b),
        1.3,
        "<=",
      ),
      targetLine(`mark-compacts in ${seconds} s of ${scenario}`, k.markCompacts, 0, "=="),
    );
  }
  return result;
}
