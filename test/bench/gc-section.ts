// The GC section of the bench: keyfront (audit on) and the baseline, each with the bench-only GC
// probe (gc-probe.ts), under a steady 64-connection load for 8 s per scenario: JS heap allocated
// per request, bytes promoted to old space, scavenges and mark-compacts in the window.

import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { GcSummary } from "./gc-probe.js";
import { cannon, prepare, type Scenario } from "./load.js";
import { fmt, type TargetLine, targetLine } from "./report.js";
import { type BenchPki, startBaseline, startKeyfront, type Target } from "./targets.js";

async function profiled(
  pki: BenchPki,
  t: Target,
  file: string,
  scenario: Scenario,
  body: string,
  seconds: number,
): Promise<GcSummary & { requests: number }> {
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

export async function gcSection(
  pki: BenchPki,
  seconds: number,
  targets: TargetLine[],
): Promise<Record<string, unknown>> {
  const kfFile = join(pki.dir, "gc-keyfront.json");
  const blFile = join(pki.dir, "gc-baseline.json");
  const kf = await startKeyfront(pki, { gcFile: kfFile });
  const bl = await startBaseline(pki, blFile);
  const result: Record<string, unknown> = {};
  try {
    console.log(
      `\nGC over a steady ${seconds} s at 64 connections (V8 GC profiler in each server)`,
    );
    for (const scenario of ["generate", "decrypt"] as const) {
      const got: Record<string, GcSummary & { requests: number }> = {};
      for (const [t, file] of [
        [kf, kfFile],
        [bl, blFile],
      ] as const) {
        const body = (await prepare(t.url, pki))[scenario];
        await cannon(t.url, pki, scenario, body, 64, 2); // warm-up
        got[t.name] = await profiled(pki, t, file, scenario, body, seconds);
      }
      const k = got.keyfront as GcSummary & { requests: number };
      const b = got.baseline as GcSummary & { requests: number };
      const perReq = (g: GcSummary & { requests: number }) => g.allocatedBytes / g.requests;
      const line = (name: string, g: GcSummary & { requests: number }) =>
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
  } finally {
    await kf.stop();
    await bl.stop();
  }
  return result;
}
