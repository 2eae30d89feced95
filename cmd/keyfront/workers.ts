// `server.workers: N` (0 = one per core): the primary forks N workers with the same arguments;
// each worker builds its own state and serves the same port (node:cluster shares the listening
// socket). The primary prints the banner once all are listening, forwards SIGHUP and
// SIGTERM/SIGINT, and restarts a worker that dies, for as long as it runs: a crash loop must not
// end the service, and must not spin the CPU either, so each worker slot backs off exponentially
// (first restart at once, then WORKER_RESTART_BASE_MS doubling up to WORKER_RESTART_MAX_MS) until
// its worker stays up for WORKER_STABLE_MS. When every worker is dead, node:cluster closes the
// shared socket; the workers bind a fixed port (port 0 is resolved once, here), so the service
// comes back on the same address as soon as one worker has restarted.

import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import {
  MAX_WORKERS,
  WORKER_RESTART_BASE_MS,
  WORKER_RESTART_MAX_MS,
  WORKER_STABLE_MS,
} from "../../internal/limits.js";
import type { Logger } from "../../internal/log/logger.js";
import { installLastResort } from "./last-resort.js";

/** The environment variable that gives a worker its slot number (1..N). */
const SLOT_ENV = "KEYFRONT_WORKER_ID";
/** The environment variable that gives a worker the port to bind (the primary resolved 0). */
export const PORT_ENV = "KEYFRONT_WORKER_PORT";

export interface ListeningMessage {
  type: "keyfront:listening";
  address: string;
  port: number;
  family: string;
}

export function resolveWorkers(configured: number): number {
  const n = configured === 0 ? availableParallelism() : configured;
  return Math.max(1, Math.min(n, MAX_WORKERS));
}

export const isWorker = (): boolean => cluster.isWorker;

/** The port a worker binds: the primary's resolved one, else the configured one. */
export function workerPort(configured: number): number {
  const given = Number(process.env[PORT_ENV]);
  return isWorker() && Number.isInteger(given) && given > 0 ? given : configured;
}

/**
 * Port 0 would let node:cluster pick a new port each time it reopens the shared socket (after
 * every worker died): pick one now. Another process could take it in between; then the workers
 * fail to listen and the start fails visibly.
 */
export function resolvePort(host: string, port: number): Promise<number> {
  if (port !== 0) return Promise.resolve(port);
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const got = (probe.address() as { port: number }).port;
      probe.close(() => resolve(got));
    });
  });
}

/** Called by a worker once it listens, so the primary can print one banner. */
export function announceListening(address: {
  address: string;
  port: number;
  family: string;
}): void {
  const msg: ListeningMessage = { type: "keyfront:listening", ...address };
  process.send?.(msg);
}

function isListening(m: unknown): m is ListeningMessage {
  return (
    typeof m === "object" && m !== null && (m as { type?: unknown }).type === "keyfront:listening"
  );
}

interface Slot {
  readonly id: number;
  startedAt: number;
  failures: number;
}

const slotOfWorker = new Map<number, Slot>();
let workerPortValue = 0;

function forkSlot(slot: Slot): Worker {
  slot.startedAt = Date.now();
  const w = cluster.fork({ [SLOT_ENV]: String(slot.id), [PORT_ENV]: String(workerPortValue) });
  slotOfWorker.set(w.id, slot);
  // e.g. a failed spawn (EAGAIN): logged; its exit, if it never started, is restarted as any other
  w.on("error", (err) => {
    process.stderr.write(`keyfront: worker ${slot.id}: ${err.message}\n`);
  });
  return w;
}

/** Forks `count` workers on `port` and resolves with the address the first one listens on. */
export function forkWorkers(count: number, port: number): Promise<ListeningMessage> {
  workerPortValue = port;
  return new Promise((resolve, reject) => {
    let ready = 0;
    let first: ListeningMessage | undefined;
    for (let i = 0; i < count; i++) {
      const w = forkSlot({ id: i + 1, startedAt: 0, failures: 0 });
      const onMessage = (m: unknown) => {
        if (!isListening(m)) return;
        first ??= m;
        w.off("message", onMessage);
        w.off("exit", onEarlyExit);
        if (++ready === count) resolve(first);
      };
      const onEarlyExit = (code: number | null) =>
        reject(new Error(`worker ${i + 1} exited with ${code} before it was listening`));
      w.on("message", onMessage);
      w.once("exit", onEarlyExit);
    }
  });
}

/** The wait before restarting a slot's worker that just died; updates the slot's failure count. */
export function restartDelay(slot: Slot, now: number): number {
  if (now - slot.startedAt >= WORKER_STABLE_MS) slot.failures = 0;
  slot.failures++;
  if (slot.failures === 1) return 0;
  return Math.min(WORKER_RESTART_MAX_MS, WORKER_RESTART_BASE_MS * 2 ** (slot.failures - 2));
}

/**
 * What a restart line adds about the service meanwhile: nothing when the slot comes back at once,
 * when another worker is still running, or when another slot comes back sooner; otherwise that no
 * worker serves until then.
 */
export function restartGapNote(
  delay: number,
  running: number,
  soonestOtherRestart: number,
): string {
  if (delay === 0 || running > 0 || soonestOtherRestart <= delay) return "";
  return "; no worker is running until then";
}

/** Supervises the workers until SIGTERM/SIGINT; resolves with the exit code. */
export function superviseWorkers(log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    // each pending restart and when it is due
    const pending = new Map<NodeJS.Timeout, number>();
    const workers = () =>
      Object.values(cluster.workers ?? {}).filter(
        (w): w is Worker => w !== undefined && !w.isDead(),
      );
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      for (const t of pending.keys()) clearTimeout(t);
      process.off("SIGTERM", onStop).off("SIGINT", onStop).off("SIGHUP", onHup);
      uninstall();
      const alive = workers();
      if (alive.length === 0) return resolve(code);
      let left = alive.length;
      for (const w of alive) {
        w.once("exit", () => {
          if (--left === 0) resolve(code);
        });
        w.process.kill("SIGTERM");
      }
    };
    const onStop = () => {
      process.stderr.write("=> Stopping workers... Goodbye.\n");
      stopAll(0);
    };
    const onHup = () => {
      for (const w of workers()) w.process.kill("SIGHUP");
    };
    cluster.on("exit", (w, code, signal) => {
      const slot = slotOfWorker.get(w.id);
      slotOfWorker.delete(w.id);
      if (stopping || slot === undefined) return;
      const now = Date.now();
      const delay = restartDelay(slot, now);
      const soonest = Math.min(
        Number.POSITIVE_INFINITY,
        ...[...pending.values()].map((due) => due - now),
      );
      const note = restartGapNote(delay, workers().length, soonest);
      process.stderr.write(
        `keyfront: worker ${slot.id} exited (${signal ?? code}); restarting it in ${delay} ms${note}\n`,
      );
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!stopping) forkSlot(slot);
      }, delay);
      pending.set(timer, now + delay);
    });
    // The primary only supervises: an uncaught exception here stops the workers and exits 1.
    const uninstall = installLastResort(log, () => stopAll(1));
    process.on("SIGTERM", onStop);
    process.on("SIGINT", onStop);
    process.on("SIGHUP", onHup);
  });
}
