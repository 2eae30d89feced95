// CPU pinning (bench --pin) for the single-process cells: the servers under test on CPU 0, the
// load generator (this process: autocannon runs in its main thread) on the other CPUs, so that
// each server has one core to itself for its run and req/s follows its cost per request. Not the
// default (run.ts says why). Uses taskset(1) (util-linux); without it, or with
// a single CPU, --pin refuses to run.

import { execFileSync, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const cpus = availableParallelism();

/** Why the bench cannot pin, or undefined when it can. */
export function cannotPin(): string | undefined {
  if (cpus < 2) return `only ${cpus} CPU`;
  const probe = spawnSync("taskset", ["--version"], { stdio: "ignore" });
  if (probe.error !== undefined || probe.status !== 0) return "taskset (util-linux) not found";
  return undefined;
}

function taskset(cpuList: string, pid: number): void {
  // -a: every thread of the process (libuv's pool, V8's GC helpers), not only the main one.
  execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { stdio: "ignore" });
}

/** The servers (and every thread they have) on CPU 0. */
export function pinServers(pids: number[]): void {
  for (const pid of pids) taskset("0", pid);
}

/** This process (the load generator) on CPUs 1…n-1; `false` gives it every CPU back. */
export function pinLoadGenerator(on: boolean): void {
  taskset(on ? `1-${cpus - 1}` : `0-${cpus - 1}`, process.pid);
}
