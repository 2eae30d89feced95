// `server.workers: N` (0 = one per core): the primary forks N workers with the same arguments;
// each worker builds its own state and serves the same port (node:cluster shares the listening
// socket). The primary prints the banner once all are listening, forwards SIGHUP and
// SIGTERM/SIGINT, and restarts a worker that dies — at most MAX_RESTARTS within RESTART_WINDOW_MS,
// after which it stops everything and exits 1 rather than crash-loop.

import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { MAX_WORKERS } from "../../internal/limits.js";

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

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

/** Forks `count` workers and resolves with the address the first one listens on. */
export function forkWorkers(count: number): Promise<ListeningMessage> {
  return new Promise((resolve, reject) => {
    let ready = 0;
    let first: ListeningMessage | undefined;
    for (let i = 0; i < count; i++) {
      const w = cluster.fork({ KEYFRONT_WORKER_ID: String(i + 1) });
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

/** Supervises the workers until SIGTERM/SIGINT; resolves with the exit code. */
export function superviseWorkers(): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const restarts: number[] = [];
    const workers = () =>
      Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const stopAll = (code: number) => {
      stopping = true;
      process.off("SIGTERM", onStop).off("SIGINT", onStop).off("SIGHUP", onHup);
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
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] as number) < now - RESTART_WINDOW_MS)
        restarts.shift();
      process.stderr.write(`keyfront: worker ${w.id} exited (${signal ?? code}); `);
      if (restarts.length > MAX_RESTARTS) {
        process.stderr.write("too many restarts, stopping\n");
        stopAll(1);
        return;
      }
      process.stderr.write("restarting it\n");
      cluster.fork({ KEYFRONT_WORKER_ID: String(w.id) });
    });
    process.on("SIGTERM", onStop);
    process.on("SIGINT", onStop);
    process.on("SIGHUP", onHup);
  });
}
