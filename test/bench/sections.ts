// Bench sections on keyfront alone: key versions on the hot path, memory over 20,000 keys, and
// the CPU cost of node:cluster workers.

import { availableParallelism } from "node:os";
import { pinServers } from "./cpu-pin.js";
import { call, cannon, prepare } from "./load.js";
import { abbaCells, type Cell, freshPairedCells, median } from "./paired.js";
import { rssOf, treeRssOf } from "./proc-stats.js";
import {
  fmt,
  printCell,
  printHeader,
  printSwitches,
  type TargetLine,
  targetLine,
} from "./report.js";
import {
  type BenchPki,
  nodeFlagsLabel,
  PREVIOUS_NODE_FLAGS,
  SHIPPED_NODE_FLAGS,
  startKeyfront,
} from "./targets.js";

/**
 * Decrypting a version-4 ciphertext against a version-1 one, on a key rotated three times, and
 * the same cell with the version-1 ciphertext on both sides as its control; ABBA rounds (paired.ts
 * abbaCells), half as many as the two-server cells' pairs, so the section takes as long as two
 * cells of single pairs would.
 */
export async function versionsSection(
  pki: BenchPki,
  seconds: number,
  pairs: number,
  targets: TargetLine[],
  pin: boolean,
): Promise<Cell> {
  const kf = await startKeyfront(pki);
  try {
    if (pin) pinServers([kf.pid]);
    const { context } = JSON.parse((await prepare(kf.url, pki)).generate) as { context: string };
    await call(kf.url, pki, "POST", "/v1/key/create/bench-v");
    const seal = async () =>
      (
        JSON.parse(
          (await call(kf.url, pki, "POST", "/v1/key/generate/bench-v", JSON.stringify({ context })))
            .text,
        ) as { ciphertext: string }
      ).ciphertext;
    const v1 = await seal();
    for (let i = 0; i < 3; i++) await call(kf.url, pki, "POST", "/v1/key/rotate/bench-v");
    const v4 = await seal();
    const paths = ["/v1/key/decrypt/bench-v"];
    const body = (ciphertext: string) => JSON.stringify({ ciphertext, context });
    await cannon(kf.url, pki, "decrypt", body(v4), 64, 2, paths); // warm-up
    printHeader(
      "key versions: decrypt of a version-4 vs a version-1 ciphertext, same key",
      "v4",
      "v1",
    );
    const side = (ct: string) => ({ target: kf, body: body(ct), paths });
    const rounds = Math.max(2, Math.ceil(pairs / 2));
    // The control: the same ciphertext on both sides, to show what this machine's noise looks like.
    const [cell, control] = await abbaCells(
      pki,
      [
        { label: "decrypt v4 vs v1", a: side(v4), b: side(v1) },
        { label: "control: v1 vs v1", a: side(v1), b: side(v1) },
      ],
      "decrypt",
      64,
      seconds,
      rounds,
    );
    if (cell === undefined || control === undefined) throw new Error("versions: no cell measured");
    printCell(cell);
    printCell(control);
    console.log(
      "  keystore reads per warm request, any version: 0 (counted in internal/keys/key-lifecycle.test.ts, 'the warm path')",
    );
    const spread = Math.max(0.05, Math.abs(control.cpux - 1));
    targets.push(
      targetLine(
        `key versions: |CPU per decrypt v4/v1 - 1| within the A/A control's (${fmt(spread, 2)})`,
        Math.abs(cell.cpux - 1),
        spread,
        "<=",
      ),
    );
    return cell;
  } finally {
    await kf.stop();
  }
}

const MEMORY_KEYS = 20_000;

const MEMORY_RUNS = 3;

/**
 * RSS over 20,000 keys: keyfront as it is started (SHIPPED_NODE_FLAGS), three times for the
 * target (one RSS reading moves by 10 MB from run to run), then once with the flags it was
 * started with before (PREVIOUS_NODE_FLAGS).
 */
export async function memorySection(
  pki: BenchPki,
  seconds: number,
  targets: TargetLine[],
): Promise<Record<string, unknown>> {
  const shipped: Record<string, number>[] = [];
  for (let i = 0; i < MEMORY_RUNS; i++)
    shipped.push(await memoryOf(pki, seconds, SHIPPED_NODE_FLAGS));
  const after = median(shipped.map((m) => m.afterRssMB as number));
  targets.push(
    targetLine(
      `RSS (MB) after ${MEMORY_KEYS} distinct keys used (${nodeFlagsLabel(SHIPPED_NODE_FLAGS)}, as npm start and the systemd unit run it; median of ${MEMORY_RUNS})`,
      after,
      150,
      "<",
    ),
  );
  return {
    shipped,
    shippedMedianAfterRssMB: after,
    previousNodeFlags: await memoryOf(pki, seconds, PREVIOUS_NODE_FLAGS),
  };
}

async function memoryOf(
  pki: BenchPki,
  seconds: number,
  nodeArgs: readonly string[],
): Promise<Record<string, number>> {
  const kf = await startKeyfront(pki, { nodeArgs });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idle = await rssOf(kf.pid);
    const names = Array.from({ length: MEMORY_KEYS }, (_, i) => `/v1/key/create/m-${i}`);
    const started = Date.now();
    await cannon(kf.url, pki, "generate", "", 64, 0, names, names.length);
    const createSeconds = (Date.now() - started) / 1000;
    let peak = 0;
    const sampler = setInterval(
      () =>
        void rssOf(kf.pid).then((v) => {
          peak = Math.max(peak, v);
        }),
      200,
    );
    // Every key used once (so all 20,000 are in the cache, well within its 30 s unused expiry),
    // then RSS; then a timed load across them for the peak.
    const gen = names.map((n) => n.replace("/create/", "/generate/"));
    await cannon(kf.url, pki, "generate", "{}", 64, 0, gen, gen.length);
    const after = await rssOf(kf.pid);
    const load = await cannon(kf.url, pki, "generate", "{}", 64, seconds, gen);
    clearInterval(sampler);
    peak = Math.max(peak, after, await rssOf(kf.pid));
    console.log(
      `\nmemory (${nodeFlagsLabel(nodeArgs)}${nodeArgs === SHIPPED_NODE_FLAGS ? ", as shipped" : ", as shipped before"}): RSS idle ${fmt(idle / 2 ** 20, 1)} MB; ${MEMORY_KEYS} keys created in ${fmt(createSeconds, 1)} s; RSS after each was used once ${fmt(after / 2 ** 20, 1)} MB; peak while generating across all of them at ${fmt(load.rps)} req/s ${fmt(peak / 2 ** 20, 1)} MB`,
    );
    return {
      idleRssMB: idle / 2 ** 20,
      afterRssMB: after / 2 ** 20,
      peakRssMB: peak / 2 ** 20,
      keys: MEMORY_KEYS,
      createSeconds,
      loadRps: load.rps,
    };
  } finally {
    await kf.stop();
  }
}

/**
 * `server.workers: 2` against 1, each pair on fresh processes started in alternating order
 * (paired.ts freshPairedCells), as the two-server cells are: a long-lived process keeps its speed
 * for its lifetime, and the one started first tended to be the slower.
 */
export async function workersSection(
  pki: BenchPki,
  seconds: number,
  pairs: number,
  targets: TargetLine[],
): Promise<Cell> {
  printHeader(
    `server.workers: 2 vs 1 (${availableParallelism()} cores, load generator on the same cores)`,
    "w2",
    "w1",
  );
  const [measured] = await freshPairedCells(
    pki,
    () => startKeyfront(pki, { workers: 2 }),
    () => startKeyfront(pki, { workers: 1 }),
    [{ scenario: "generate", connections: 64 }],
    // Each worker warms its own JIT: twice the warm-up of the two-server cells.
    { seconds, pairs, warmupSeconds: 2, pin: false },
  );
  if (measured === undefined) throw new Error("workers: no cell measured");
  const cell: Cell = { ...measured, scenario: "generate, 2 vs 1 worker" };
  printCell(cell);
  console.log(
    `  wall-clock speed-up of 2 workers on ${availableParallelism()} cores: ${fmt(cell.ratio, 2)}x; RSS after a 2 s load: ${await rssAfterLoad(pki, 1)}, ${await rssAfterLoad(pki, 2)}`,
  );
  // Where the extra CPU goes: with two workers and the load generator on two cores, each worker's
  // event loop runs dry and waits more often, and the three processes preempt each other.
  printSwitches(cell, "2 workers", "1 worker");
  targets.push(targetLine("workers: CPU per request, 2 workers / 1", cell.cpux, 1.1, "<="));
  return cell;
}

/** "N worker(s) M MB": the process tree's RSS after a 2 s generate load. */
async function rssAfterLoad(pki: BenchPki, workers: number): Promise<string> {
  const kf = await startKeyfront(pki, { workers });
  try {
    const b = await prepare(kf.url, pki);
    await cannon(kf.url, pki, "generate", b.generate, 64, 2);
    return `${workers} worker${workers > 1 ? "s" : ""} ${fmt((await treeRssOf(kf.pid)) / 2 ** 20, 0)} MB`;
  } finally {
    await kf.stop();
  }
}
