// The last line of defence of a server process (the single process or one worker): an error that
// escaped every request-level handler is logged — name, message and stack, never request data —
// instead of ending Node silently.
// - unhandledRejection: a promise nobody awaited failed; no code was interrupted half-way, so the
//   process logs it and keeps serving.
// - uncaughtException: code stopped in the middle of something and its state cannot be trusted,
//   so the process stops taking work, drains what is in flight (bounded) and exits 1. A worker is
//   then restarted by the primary; a single process by its supervisor (the systemd unit has
//   Restart=on-failure). Run `server.workers: 2` or more to keep serving during such a restart.

import { FATAL_EXIT_TIMEOUT_MS } from "../../internal/limits.js";
import type { Logger } from "../../internal/log/logger.js";

/** What is logged of an escaped error: its shape, never arbitrary attached properties. */
function summary(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { name: typeof err, message: "a non-Error value was thrown" };
}

/**
 * Installs the two handlers on `proc`; `onFatal` is called once, on the first uncaught exception,
 * and must end the process (a hard exit follows after FATAL_EXIT_TIMEOUT_MS if it does not).
 * Returns a function that removes them.
 */
export function installLastResort(
  log: Logger,
  onFatal: () => void,
  proc: NodeJS.EventEmitter = process,
  hardExit: (code: number) => void = (code) => process.exit(code),
): () => void {
  let fatal = false;
  const onRejection = (reason: unknown) => {
    log.error({ err: summary(reason) }, "unhandled promise rejection; the server keeps serving");
  };
  const onException = (err: unknown) => {
    log.fatal({ err: summary(err) }, "uncaught exception; draining and exiting");
    if (fatal) return;
    fatal = true;
    setTimeout(() => hardExit(1), FATAL_EXIT_TIMEOUT_MS).unref();
    try {
      onFatal();
    } catch {
      hardExit(1);
    }
  };
  proc.on("unhandledRejection", onRejection);
  proc.on("uncaughtException", onException);
  return () => {
    proc.off("unhandledRejection", onRejection);
    proc.off("uncaughtException", onException);
  };
}
