// The scheduler's view of the key service (issue 10): each key read afresh from the keystore (not
// the cache, whose rings may be a refresh period old, and which a pass over every key would
// flood), and the service's rotate-if-due and purge-if-due, which re-read the key themselves.

import { KeyNotFoundError } from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { createdMs } from "./key-lifecycle.js";
import type { KeyService } from "./key-service.js";
import { latestOf } from "./ring.js";
import { loadRing } from "./ring-store.js";
import { KeyScheduler, type SchedulerLog, type SchedulerTarget } from "./scheduler.js";

/** The `created_by` of the versions the scheduler makes. */
export const SCHEDULER_IDENTITY = "scheduler";

export function schedulerTarget(
  keys: KeyService,
  store: KeyStore,
  now: () => number,
): SchedulerTarget {
  return {
    list: (startAt, limit, signal) => keys.list("", startAt, limit, signal),
    schedule: async (name, signal) => {
      try {
        const ring = await loadRing(store, name, now(), signal);
        const newest = ring.versions[latestOf(ring) - 1];
        return {
          latestCreatedMs: newest === undefined ? 0 : createdMs(newest),
          rotateMs: ring.state.rotateMs,
          purgeAtMs: ring.state.purgeAt,
        };
      } catch (err) {
        if (err instanceof KeyNotFoundError) return undefined;
        throw err;
      }
    },
    rotateIfDue: async (name, periodMs, signal) => {
      const r = await keys.rotateIfDue(name, SCHEDULER_IDENTITY, signal, periodMs);
      return r?.made === true ? r.version : undefined;
    },
    purgeIfDue: (name, signal) => keys.purgeIfDue(name, signal),
  };
}

/**
 * The scheduler of one server state, started: rotation periods of `keys[].rotate`, this state's
 * key service and store, logging to `log`. The state's close stops it.
 */
export function startScheduler(
  keys: KeyService,
  store: KeyStore,
  configKeys: readonly { name: string; rotateMs?: number }[],
  log: SchedulerLog,
  now: () => number,
): KeyScheduler {
  const configured = new Map<string, number>();
  for (const k of configKeys) if (k.rotateMs !== undefined) configured.set(k.name, k.rotateMs);
  const scheduler = new KeyScheduler({
    target: schedulerTarget(keys, store, now),
    configured,
    log,
    now,
  });
  scheduler.start();
  return scheduler;
}
