// CPU time and context switches of a server under test from Linux /proc: the process and its
// live children (node:cluster workers), all threads included (libuv's pool, V8's GC helpers).

import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  return ticksPerSecond;
}

async function ownTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8");
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU microseconds (user + system) used so far by `pid` and its live children. */
export async function cpuMicros(pid: number): Promise<number> {
  let ticks = await ownTicks(pid);
  for (const c of await childrenOf(pid)) ticks += await ownTicks(c).catch(() => 0);
  return (ticks * 1e6) / clockTicks();
}

export interface Switches {
  /** The thread gave up the CPU to wait (for a socket, a lock, a timer): each is a later wake-up. */
  voluntary: number;
  /** The scheduler took the CPU away from a thread that could have run on. */
  involuntary: number;
}

async function ownSwitches(pid: number, into: Switches): Promise<void> {
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const status = await readFile(`/proc/${pid}/task/${tid}/status`, "utf8").catch(() => "");
    into.voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    into.involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
}

/**
 * Context switches so far of every thread of `pid` and its live children. On this VM a thread
 * that wakes from a wait costs 100–180 µs of CPU (README, Performance), so the voluntary count
 * per request shows where a configuration spends CPU without doing more work.
 */
export async function switchesOf(pid: number): Promise<Switches> {
  const total = { voluntary: 0, involuntary: 0 };
  await ownSwitches(pid, total);
  for (const c of await childrenOf(pid)) await ownSwitches(c, total);
  return total;
}

/** Resident set size of a process in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** RSS of a process and its live children (workers). */
export async function treeRssOf(pid: number): Promise<number> {
  let total = await rssOf(pid);
  for (const c of await childrenOf(pid)) total += await rssOf(c).catch(() => 0);
  return total;
}
