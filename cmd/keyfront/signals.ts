// Ctrl-C handling for the commands that run until interrupted (`log`, `metric`): SIGINT/SIGTERM
// abort a signal the command passes to its client calls, so the command ends normally (exit 0)
// and main.ts stays the only place that exits.

export async function untilInterrupted<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await fn(controller.signal);
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
}

/**
 * Wraps `run` so that calls never overlap: a call while a run is in progress queues one more run
 * (several such calls coalesce into that one), which starts when the current run ends. Used for
 * SIGHUP: a second reload signal during a reload is applied afterwards, never dropped. `idle()`
 * resolves once nothing runs or is queued.
 */
export function coalesced(run: () => Promise<void>): {
  trigger: () => void;
  idle: () => Promise<void>;
} {
  let running: Promise<void> | undefined;
  let queued = false;
  const loop = async () => {
    do {
      queued = false;
      await run().catch(() => undefined);
    } while (queued);
    running = undefined;
  };
  return {
    trigger: () => {
      if (running) {
        queued = true;
        return;
      }
      running = loop();
    },
    idle: () => running ?? Promise.resolve(),
  };
}
