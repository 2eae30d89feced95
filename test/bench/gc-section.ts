// The GC section of the bench: keyfront (audit on) and the baseline, each with the bench-only GC
// probe (gc-probe.ts), under a steady 64-connection load for 8 s per scenario: JS heap allocated
// per request, bytes promoted to old space, scavenges and mark-compacts in the window. Each server
// is started for this, settled under load, then measured (measureServer says why).

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

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** The GC probe's summary over `during`: the probe on (SIGUSR2) before it, off after it. */
async function probed(t: Target, file: string, during: () => Promise<unknown>): Promise<GcSummary> {
  await rm(file, { force: true });
  process.kill(t.pid, "SIGUSR2");
  await during();
  process.kill(t.pid, "SIGUSR2");
  for (let i = 0; i < 100; i++) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text !== "") return JSON.parse(text) as GcSummary;
    await sleep(50);
  }
  throw new Error(`${t.label}: the GC probe wrote no summary to ${file}`);
}

/**
 * One run of `warm + seconds + 1` s on 64 new connections, the probe on for the `seconds` after
 * the warm-up only: the window runs on connections already open (opening 64 connections and
 * closing the 64 before is not a steady load, and once a server's heap has settled it is what
 * brings a mark-compact), and counts the requests answered in it.
 */
async function window(
  pki: BenchPki,
  t: Target,
  file: string,
  scenario: Scenario,
  body: string,
  warm: number,
  seconds: number,
): Promise<Window> {
  let counting = false;
  let requests = 0;
  const done = cannon(
    t.url,
    pki,
    scenario,
    body,
    64,
    warm + seconds + 1,
    undefined,
    undefined,
    () => {
      if (counting) requests++;
    },
  );
  done.catch(() => undefined); // a failure is thrown by `await done` below, not as unhandled
  await sleep(warm * 1000);
  const gc = await probed(t, file, async () => {
    counting = true;
    await sleep(seconds * 1000);
    counting = false;
  });
  await done;
  return { ...gc, requests };
}

/** The longest a server is loaded, after its start, for its heap to settle. */
const SETTLE_MAX_S = 60;

/** What the settling took: seconds of load and the mark-compacts in them. */
interface Settled {
  seconds: number;
  markCompacts: number;
}

/**
 * One server, started for this and stopped after. First it settles: 5 s runs of generate and
 * decrypt in turn until one brings a mark-compact (at most SETTLE_MAX_S). A fresh process's old
 * generation grows with what its start and its first requests leave (modules, compiled code,
 * the first connections) until it reaches the limit V8 set at the start; that first mark-compact
 * fell 20-27 s into the server's life under this load (--trace-gc), in a window or not depending
 * on the run, and the baseline has it as well. Then each scenario's window, inside one run with
 * its warm-up (window). Not the two servers in turn: a server left idle while the other one is
 * measured has its heap shrunk by V8's memory reducer, and when load comes back it mark-compacts
 * as the heap grows again, which says how the bench paused the server, not how it runs.
 */
async function measureServer(
  pki: BenchPki,
  start: () => Promise<Target>,
  file: string,
  seconds: number,
): Promise<{ windows: Windows; settled: Settled }> {
  const t = await start();
  try {
    const bodies = await prepare(t.url, pki);
    const settled: Settled = { seconds: 0, markCompacts: 0 };
    for (let i = 0; settled.markCompacts === 0 && settled.seconds < SETTLE_MAX_S; i++) {
      const scenario = i % 2 === 0 ? "generate" : "decrypt";
      const gc = await probed(t, file, () => cannon(t.url, pki, scenario, bodies[scenario], 64, 5));
      settled.markCompacts += gc.markCompacts;
      settled.seconds += 5;
    }
    const windows: Partial<Windows> = {};
    for (const scenario of ["generate", "decrypt"] as const) {
      windows[scenario] = await window(pki, t, file, scenario, bodies[scenario], 2, seconds);
    }
    return { windows: windows as Windows, settled };
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
    `\nGC over a steady ${seconds} s at 64 connections (V8 GC profiler in each server; each server started for this, loaded until its heap settled, then both scenarios back to back, each window on the connections of its 2 s warm-up)`,
  );
  const { windows: kf, settled: kfSettled } = await measureServer(
    pki,
    () => startKeyfront(pki, { gcFile: kfFile }),
    kfFile,
    seconds,
  );
  const { windows: bl, settled: blSettled } = await measureServer(
    pki,
    () => startBaseline(pki, blFile),
    blFile,
    seconds,
  );
  const settling = (s: Settled) =>
    `${s.seconds} s, ${s.markCompacts} mark-compact${s.markCompacts === 1 ? "" : "s"}`;
  console.log(
    `  settling after the start (5 s runs until one brings a mark-compact, at most ${SETTLE_MAX_S} s): keyfront ${settling(kfSettled)}; baseline ${settling(blSettled)}`,
  );
  const result: Record<string, unknown> = { settled: { keyfront: kfSettled, baseline: blSettled } };
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
