// The records of one key beyond its version 1, for `keyfront migrate` (design.md §1 of issue 10):
// versions `<name>.v2`, `<name>.v3`, … and the state chain `<name>.s1`, `<name>.s2`, …, each
// contiguous (never deleted one by one), so each chain is read in order until its first gap. The
// values are copied as stored: never decoded, printed or logged.

import { stateRecord, versionRecord } from "../../internal/keys/ring-records.js";
import { getOrNone } from "../../internal/keys/ring-store.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { MAX_KEY_STATES, MAX_KEY_VERSIONS } from "../../internal/limits.js";

/** `<name>.<tag><first>`, `<tag><first+1>`, … up to the first absent one. */
async function chainOf(
  store: KeyStore,
  name: string,
  tag: "v" | "s",
  signal: AbortSignal,
): Promise<[string, string][]> {
  const [first, max, recordOf] =
    tag === "v" ? [2, MAX_KEY_VERSIONS, versionRecord] : [1, MAX_KEY_STATES, stateRecord];
  const records: [string, string][] = [];
  for (let i = first; i <= max; i++) {
    const record = recordOf(name, i);
    const value = await getOrNone(store, record, signal);
    if (value === undefined) return records;
    records.push([record, value]);
  }
  throw new Error(`key '${name}' has more than ${max} '${tag}' records`);
}

/**
 * Every version record (from 2) and state record (from 1) of key `name` in the source, versions
 * first, each chain in order. Both chains are probed at once: a key never rotated nor changed
 * costs two reads in parallel.
 */
export async function extraRecordsOf(
  store: KeyStore,
  name: string,
  signal: AbortSignal,
): Promise<[string, string][]> {
  const [versions, states] = await Promise.all([
    chainOf(store, name, "v", signal),
    chainOf(store, name, "s", signal),
  ]);
  return [...versions, ...states];
}
