// How the key service tells keystore failures apart: a store call cancelled because its client
// hung up is not a failure, an unreachable keystore keeps KES's message with the store's state in
// X-Keyfront-Detail. It must never put a cause, an address or a value into an answer.

import { ApiError, KeystoreUnreachableError } from "../errors.js";

/**
 * A signal, a function making one, or an object that makes one when asked (a request's context):
 * the hot path only makes one on a cache miss, and passing the context costs no closure.
 */
export type SignalArg = AbortSignal | (() => AbortSignal) | { readonly signal: AbortSignal };
export const signalOf = (s: SignalArg | undefined): AbortSignal | undefined =>
  s === undefined || s instanceof AbortSignal ? s : typeof s === "function" ? s() : s.signal;

/**
 * True when `err` is the cancellation of the request's signal, fired because its client hung up
 * (or the server is stopping it): the store call rejected with that abort, which is not a
 * keystore failure, so it is not logged at ERROR (the app logs nothing for an answer nobody
 * receives). A real failure that happens to follow a hang-up still is one; so is a route timeout
 * (the signal's reason is then the catalogue's 503): the store was too slow.
 */
export function isCancelled(signal: AbortSignal | undefined, err: unknown): boolean {
  if (signal?.aborted !== true || signal.reason instanceof ApiError) return false;
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e === signal.reason || e.name === "AbortError") return true;
  }
  return err === signal.reason;
}

/**
 * KES clients compare error messages, so an unreachable keystore keeps the generic KES message
 * (kes-api.md §8.3 "Error mapping summary"); when the error names the keystore's state (the
 * Vault store's errors carry `state`), that state — "Vault is sealed", "Vault is unreachable",
 * never the addresses or causes after it — goes into the X-Keyfront-Detail header. Everything
 * else adds nothing: the detail is only logged.
 */
export function withDetail(e: ApiError, err: unknown): ApiError {
  if (!(err instanceof KeystoreUnreachableError)) return e;
  if (typeof (err as { state?: unknown }).state !== "string") return e;
  const detail = err.message.split(":")[0] ?? "";
  return new ApiError(e.status, e.message, { ...e.headers, "X-Keyfront-Detail": detail });
}
