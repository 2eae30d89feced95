// Removing a key's records (design.md §1): the purge (version 1 first, so the key is gone for
// everyone at once, then every other record) and the clean-up of orphans — records an interrupted
// purge of an earlier key of the same name left behind — by the create of a new key. It must
// never delete a record of the incarnation it keeps, and deletes each chain from its highest
// record down, so a crash part-way leaves a contiguous run the next clean-up finds again.

import type { KeyStore } from "../keystore/keystore.js";
import { MAX_KEY_STATES, MAX_KEY_VERSIONS } from "../limits.js";
import { incarnationOf, stateRecord, versionRecord } from "./ring-records.js";
import { Chain, deleteIfThere, getOrNone, incarnationIn } from "./ring-store.js";

/**
 * Deletes the version and state records of `name` that are not of incarnation `keep` ("" = all),
 * each chain from its highest record down, so that a crash part-way leaves a contiguous run from
 * the start that the next cleanup finds again. Records of `keep` are left alone.
 */
export async function deleteRecords(
  store: KeyStore,
  name: string,
  keep: string,
  signal?: AbortSignal,
): Promise<void> {
  const chains: [number, number, (i: number) => string][] = [
    [2, MAX_KEY_VERSIONS, (i) => versionRecord(name, i)],
    [1, MAX_KEY_STATES, (i) => stateRecord(name, i)],
  ];
  await Promise.all(
    chains.map(async ([first, max, rec]) => {
      const texts = new Map<number, string | undefined>();
      const chain = new Chain<string>(
        async (i) => {
          const t = await getOrNone(store, rec(i), signal);
          texts.set(i, t);
          return t;
        },
        (text) => ({ incarnation: "", value: text }),
        "",
      );
      const last = await chain.last(first, max);
      for (let i = last; i >= first; i--) {
        const text = texts.get(i) ?? (await getOrNone(store, rec(i), signal));
        if (text === undefined || (keep !== "" && incarnationIn(text) === keep)) continue;
        await deleteIfThere(store, rec(i), signal);
      }
    }),
  );
}

/**
 * Creates key `name` with its version-1 value (KeyExistsError when it exists), then removes the
 * records an interrupted purge of an earlier key of this name left behind (best effort: a
 * failure there is reported to `onCleanupFailure`, the key is created either way). Whether there
 * are any is asked (version 2, state 1) while version 1 is written, so a create costs no extra
 * round trip unless there is something to remove.
 */
export async function createRing(
  store: KeyStore,
  name: string,
  v1Value: string,
  signal: AbortSignal | undefined,
  onCleanupFailure: (err: unknown) => void,
): Promise<void> {
  const probe = Promise.all([
    getOrNone(store, versionRecord(name, 2), signal),
    getOrNone(store, stateRecord(name, 1), signal),
  ]).then(
    (found) => found.some((text) => text !== undefined),
    (err: unknown) => err,
  );
  await store.create(name, v1Value, signal);
  const leftovers = await probe;
  if (leftovers === false) return;
  if (leftovers !== true) return onCleanupFailure(leftovers);
  await deleteRecords(store, name, incarnationOf(v1Value), signal).catch(onCleanupFailure);
}

/**
 * Purges key `name`: version 1 first (from that moment the key is gone for everyone; throws
 * KeyNotFoundError where the store can tell it was absent), then every other record, so a crash
 * in between leaves only orphans (a failure there is reported to `onCleanupFailure`: the key is
 * gone either way, and the next create of the name removes what is left).
 */
export async function purgeRing(
  store: KeyStore,
  name: string,
  signal: AbortSignal | undefined,
  onCleanupFailure: (err: unknown) => void,
): Promise<void> {
  await store.delete(name, signal);
  await deleteRecords(store, name, "", signal).catch(onCleanupFailure);
}
