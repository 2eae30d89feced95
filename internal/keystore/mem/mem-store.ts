// The in-memory keystore (kes-api.md §8.2 "In-memory"): used by tests and `--dev`. A Map of
// name → value, create-only, lost on exit. It must never be used where keys have to survive a
// restart, and it never logs or returns values except through `get`.

import { KeyExistsError, KeyNotFoundError } from "../../errors.js";
import type { KeyStore, KeystoreStatus, ListPage } from "../keystore.js";
import { pageNames } from "../keystore.js";

/**
 * Opens a fresh, empty in-memory keystore (kind "mem").
 * Listing uses the shared pager, so `limit <= 0` means LIST_PAGE_SIZE like every other backend
 * (KES's MemKeyStore returns all matches; clients follow `continueAt` either way, §3.6).
 */
export function connectMem(): KeyStore {
  const keys = new Map<string, string>();
  return {
    kind: "mem",
    async create(name: string, value: string, signal?: AbortSignal): Promise<void> {
      signal?.throwIfAborted();
      if (keys.has(name)) throw new KeyExistsError(name);
      keys.set(name, value);
    },
    async get(name: string, signal?: AbortSignal): Promise<string> {
      signal?.throwIfAborted();
      const value = keys.get(name);
      if (value === undefined) throw new KeyNotFoundError(name);
      return value;
    },
    async find(name: string, signal?: AbortSignal): Promise<string | undefined> {
      signal?.throwIfAborted();
      return keys.get(name);
    },
    async delete(name: string, signal?: AbortSignal): Promise<void> {
      signal?.throwIfAborted();
      if (!keys.delete(name)) throw new KeyNotFoundError(name);
    },
    async list(
      prefix: string,
      startAt: string,
      limit: number,
      signal?: AbortSignal,
    ): Promise<ListPage> {
      signal?.throwIfAborted();
      return pageNames(keys.keys(), prefix, startAt, limit);
    },
    async status(signal?: AbortSignal): Promise<KeystoreStatus> {
      signal?.throwIfAborted();
      // An in-memory map is always reachable; the latency is the cost of the call itself.
      const start = process.hrtime.bigint();
      const latencyNs = process.hrtime.bigint() - start;
      return { latencyNs };
    },
    async close(): Promise<void> {
      // Nothing runs in the background. The keys are kept: a caller that still holds this store
      // (e.g. across a config reload in --dev) must not lose them.
    },
  };
}
