// The KeyStore interface every backend implements, and the shared list-paging helper.
// A keystore is a durable map name → opaque string (the kes-api.md §7.8 encoding). Backends throw
// domain errors (KeyExistsError, KeyNotFoundError, KeystoreUnreachableError, or anything else for
// "failed"), never HTTP statuses. Names reaching a store are already validated (§13.1).

import { timingSafeEqual } from "node:crypto";
import { LIST_PAGE_SIZE } from "../limits.js";

export interface KeystoreStatus {
  /** Round-trip latency of the status probe in nanoseconds. */
  latencyNs: bigint;
  /** Backend-specific state shown in /v1/status, e.g. "sealed" (keyfront extension). */
  state?: string;
  /** The endpoint in use, e.g. "https://vault.example:8200" (keyfront extension). */
  endpoint?: string;
  /** The IP address and port that answered last, e.g. "10.0.0.7:8200" (keyfront extension). */
  address?: string;
}

export interface ListPage {
  names: string[];
  /** The name the next page starts at; "" when the listing is complete. */
  continueAt: string;
}

export interface KeyStore {
  /** Human-readable backend kind, e.g. "fs", "mem", "vault". */
  readonly kind: string;
  /**
   * True when `create` is check-then-write (Vault K/V v1): two writers creating one name at the
   * same moment can both return, the later write winning. Absent or false: create is atomic.
   */
  readonly racyCreate?: boolean;
  /** Create-only: throws KeyExistsError if `name` exists. Never overwrites. */
  create(name: string, value: string, signal?: AbortSignal): Promise<void>;
  /** The stored value; throws KeyNotFoundError if absent. */
  get(name: string, signal?: AbortSignal): Promise<string>;
  /**
   * keyfront: `get`, with undefined instead of KeyNotFoundError when `name` is absent (every
   * other failure throws as `get` does). Loading a key reads its next version and state records,
   * which are absent for a key never rotated or changed; an error object (with its stack trace)
   * for each of those misses was a measurable part of a cold load. Optional: callers fall back to
   * `get` (ring-store.ts getOrNone).
   */
  find?(name: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Removes the key; throws KeyNotFoundError if the store can tell it is absent. */
  delete(name: string, signal?: AbortSignal): Promise<void>;
  /**
   * Names starting with `prefix`, sorted, starting at `startAt` (inclusive, "" = beginning),
   * at most `limit` names (limit <= 0 means LIST_PAGE_SIZE).
   */
  list(prefix: string, startAt: string, limit: number, signal?: AbortSignal): Promise<ListPage>;
  /** Throws KeystoreUnreachableError when the store cannot be reached. */
  status(signal?: AbortSignal): Promise<KeystoreStatus>;
  /** keyfront: problems /v1/status shows as `keystore_warnings` (e.g. a certificate expiring). */
  warnings?(): string[];
  close(): Promise<void>;
}

/**
 * Pages a full, unsorted name list: names with `prefix`, sorted, from `startAt` on, at most
 * `limit` (<= 0 → LIST_PAGE_SIZE); `continueAt` is the first name left out. Names containing "."
 * (records of key versions and states) are left out too, so pages stay exact. One pass over the
 * names; a page smaller than the matches selects its names with a bounded heap instead of
 * sorting every match, so walking a large store page by page does not sort it once per page.
 */
export function pageNames(
  all: Iterable<string>,
  prefix: string,
  startAt: string,
  limit: number,
): ListPage {
  const size = limit > 0 ? limit : LIST_PAGE_SIZE;
  const matches: string[] = [];
  for (const n of all) {
    // A name with "." is a key's version or state record (design.md §1), never a key.
    if (n.startsWith(prefix) && n >= startAt && !n.includes(".")) matches.push(n);
  }
  const names = smallestSorted(matches, size + 1);
  if (names.length <= size) return { names, continueAt: "" };
  return { names: names.slice(0, size), continueAt: names[size] ?? "" };
}

/** The `k` smallest of `names` in order (compareNames); may reorder `names`. */
export function smallestSorted(names: string[], k: number): string[] {
  if (names.length <= k) return names.sort(compareNames);
  // A max-heap of the k smallest seen so far: its root is the largest of them.
  const heap = names.slice(0, k);
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(heap, i);
  for (let i = k; i < names.length; i++) {
    const n = names[i] as string;
    if (n < (heap[0] as string)) {
      heap[0] = n;
      siftDown(heap, 0);
    }
  }
  return heap.sort(compareNames);
}

function siftDown(heap: string[], at: number): void {
  const len = heap.length;
  let i = at;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let top = i;
    if (l < len && (heap[l] as string) > (heap[top] as string)) top = l;
    if (r < len && (heap[r] as string) > (heap[top] as string)) top = r;
    if (top === i) return;
    [heap[i], heap[top]] = [heap[top] as string, heap[i] as string];
    i = top;
  }
}

/** Byte-wise (code unit) ordering, as Go's sort.Strings on ASCII names. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Constant-time equality of two stored values (they are key material). */
export function sameStoredValue(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
