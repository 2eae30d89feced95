// Bench-only preload (`node --import dist/test/bench/gc-probe.js …`, never loaded by keyfront
// itself): when KEYFRONT_BENCH_GC_FILE is set, the first SIGUSR2 starts V8's GC profiler and the
// second stops it and writes a summary to that file — JS heap bytes allocated in the window (the
// growth of the used heap between collections, summed), the scavenges and mark-compacts in it.
// The same probe runs in keyfront and in the baseline, so their figures compare like for like.

import { writeFileSync } from "node:fs";
import { GCProfiler, getHeapStatistics } from "node:v8";

export interface GcSummary {
  allocatedBytes: number;
  scavenges: number;
  markCompacts: number;
  /** Bytes scavenges moved into old space (its growth across each scavenge). */
  promotedBytes: number;
}

interface Heap {
  heapStatistics: { usedHeapSize: number };
  heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[];
}
interface Stat {
  gcType: string;
  beforeGC: Heap;
  afterGC: Heap;
}

const oldSpace = (h: Heap) =>
  h.heapSpaceStatistics.find((x) => x.spaceName === "old_space")?.spaceUsedSize ?? 0;

const out = process.env.KEYFRONT_BENCH_GC_FILE;
if (out) {
  let profiler: GCProfiler | undefined;
  let startUsed = 0;
  process.on("SIGUSR2", () => {
    if (profiler === undefined) {
      profiler = new GCProfiler();
      startUsed = getHeapStatistics().used_heap_size;
      profiler.start();
      return;
    }
    const stats = (profiler.stop()?.statistics ?? []) as Stat[];
    profiler = undefined;
    const s: GcSummary = { allocatedBytes: 0, scavenges: 0, markCompacts: 0, promotedBytes: 0 };
    let used = startUsed;
    for (const g of stats) {
      const before = g.beforeGC.heapStatistics.usedHeapSize;
      const after = g.afterGC.heapStatistics.usedHeapSize;
      s.allocatedBytes += Math.max(0, before - used);
      used = after;
      if (g.gcType === "Scavenge") {
        s.scavenges++;
        s.promotedBytes += Math.max(0, oldSpace(g.afterGC) - oldSpace(g.beforeGC));
      }
      if (g.gcType === "MarkSweepCompact") s.markCompacts++;
    }
    s.allocatedBytes += Math.max(0, getHeapStatistics().used_heap_size - used);
    writeFileSync(out, JSON.stringify(s));
  });
}
