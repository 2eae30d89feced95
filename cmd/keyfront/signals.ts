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
