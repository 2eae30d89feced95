// Abortable waiting shared by every retry loop and shared in-flight operation. Both reject with
// the signal's own reason (not a generic AbortError), so callers can tell a timeout from a
// shutdown, and both remove their listener when done, so a long-lived signal never accumulates.

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Resolves or rejects like `promise`, or rejects with the signal's reason as soon as it aborts.
 * The promise itself is not cancelled: other waiters on a shared operation keep waiting.
 */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      // Nobody awaits `promise` through this call: its later failure must not surface as an
      // unhandled rejection (e.g. a Vault login started for a request whose client had gone).
      promise.catch(() => {});
      return onAbort();
    }
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
