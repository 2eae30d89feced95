// `keyfront migrate --from CFG --to CFG [PATTERN] [--merge | --force]` (kes-api.md §11.4): copies
// the raw stored values of every key matching the glob PATTERN (default `*`) from the keystore of
// one server config to another's (fs → Vault, prefix → namespace, one Vault to another). An
// existing target key stops the run unless --merge (skip it) or --force (replace it). Each key is
// copied with create-only writes, one per record: its versions (`<name>.vN`) and state chain
// (`<name>.sK`, migrate-records.ts) first, `<name>` (version 1) last, so an interrupted run is
// finished by re-running with --merge. Both keystores are opened as the server opens them and must be usable (Vault
// reachable, unsealed, its mount as configured: migrate-store.ts) before anything is read or
// written. Progress goes to stderr on a terminal; a summary of what moved ends the run.
// It must never decode, print or log a stored value, and never modify the source keystore.

import type { Config } from "../../internal/config/config.js";
import { ConfigError, loadConfigFile } from "../../internal/config/load.js";
import { KeyExistsError } from "../../internal/errors.js";
import { getOrNone as existing } from "../../internal/keys/ring-store.js";
import { type KeyStore, sameStoredValue } from "../../internal/keystore/keystore.js";
import { LIST_PAGE_SIZE } from "../../internal/limits.js";
import { parseCommand } from "./client-env.js";
import { printJson } from "./format.js";
import { globToRegExp, literalPrefix } from "./glob.js";
import { extraRecordsOf } from "./migrate-records.js";
import { openUsableStore, storeLocation } from "./migrate-store.js";
import { CommandError, note, result, UsageError } from "./output.js";
import { untilInterrupted } from "./signals.js";

const USAGE = "keyfront migrate --from CONFIG --to CONFIG [PATTERN] [--merge | --force] [--json]";
const PROGRESS_INTERVAL_MS = 250;

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  merge: { type: "boolean", default: false },
  force: { type: "boolean", short: "f", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export interface Tally {
  matched: number;
  migrated: number;
  skipped: number;
  replaced: number;
  /** Version (≥ 2) and state records written besides the keys themselves (keyfront). */
  records: number;
}

function loadConfig(flag: string, path: string): Config {
  try {
    const { config, warnings } = loadConfigFile(path, process.env);
    for (const w of warnings) note(`warning: ${w}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CommandError(
        `${flag} ${path}: invalid configuration:\n  ${err.problems.join("\n  ")}`,
      );
    }
    throw err;
  }
}

type Mode = "stop" | "merge" | "force";

/** What an existing target key means: skipped (merge), the end of the run (stop), or replaced. */
async function resolveExisting(
  to: KeyStore,
  name: string,
  value: string,
  found: string,
  mode: Mode,
  t: Tally,
  signal: AbortSignal,
): Promise<void> {
  if (mode === "merge") {
    if (!sameStoredValue(found, value))
      note(`warning: key '${name}' exists in the target with a different value: skipped`);
    t.skipped++;
    return;
  }
  if (mode === "stop") {
    throw new CommandError(
      `key '${name}' already exists in the target: use --merge to skip existing keys or --force to replace them`,
    );
  }
  await to.delete(name, signal);
  await to.create(name, value, signal);
  t.replaced++;
}

/**
 * Creates `name` in the target unless it is there: undefined when this call created it, else the
 * value found (a record created by someone else since the read is resolved like any existing one).
 * The target is read first: a record a previous run copied is resolved without a write attempt (a
 * create over it is refused only after a write and a read-back, and the Vault store would log it
 * as a retried create).
 */
async function createOrFind(
  to: KeyStore,
  name: string,
  value: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const found = await existing(to, name, signal);
  if (found !== undefined) return found;
  try {
    await to.create(name, value, signal);
    return undefined;
  } catch (err) {
    if (!(err instanceof KeyExistsError)) throw err;
    return (await existing(to, name, signal)) ?? "";
  }
}

/**
 * Copies one version or state record, create-only: one a previous run copied is left as it is;
 * one with another value is skipped with a warning (--merge), replaced (--force), or stops the run.
 */
async function copyRecord(
  to: KeyStore,
  record: string,
  value: string,
  mode: Mode,
  t: Tally,
  signal: AbortSignal,
) {
  const found = await createOrFind(to, record, value, signal);
  if (found === undefined) {
    t.records++;
    return;
  }
  if (sameStoredValue(found, value)) return;
  if (mode === "merge") {
    note(`warning: record '${record}' exists in the target with a different value: skipped`);
    return;
  }
  if (mode === "stop") {
    throw new CommandError(
      `record '${record}' already exists in the target with a different value: use --merge to skip it or --force to replace it`,
    );
  }
  await to.delete(record, signal);
  await to.create(record, value, signal);
  t.records++;
}

/**
 * Copies one key: its version records and state chain first, then its version-1 record `<name>`,
 * so the key appears in the target only with every version it has (an interrupted run leaves
 * records a target server ignores until `<name>` exists; re-running with --merge finishes it).
 * The target is read first (createOrFind), so --merge can tell a different value (then the key
 * is skipped whole, its records too).
 */
async function copyKey(
  from: KeyStore,
  to: KeyStore,
  name: string,
  mode: Mode,
  t: Tally,
  signal: AbortSignal,
) {
  const value = await from.get(name, signal);
  const extras = await extraRecordsOf(from, name, signal);
  const before = await existing(to, name, signal);
  const sameKey = before !== undefined && sameStoredValue(before, value);
  if (before === undefined || mode === "force" || (mode === "merge" && sameKey)) {
    for (const [record, v] of extras) await copyRecord(to, record, v, mode, t, signal);
  }
  const found = before ?? (await createOrFind(to, name, value, signal));
  if (found === undefined) {
    t.migrated++;
    return;
  }
  await resolveExisting(to, name, value, found, mode, t, signal);
}

/** Walks the source listing page by page and copies every matching key. */
export async function migrateKeys(
  from: KeyStore,
  to: KeyStore,
  pattern: string,
  mode: Mode,
  signal: AbortSignal,
  t: Tally = { matched: 0, migrated: 0, skipped: 0, replaced: 0, records: 0 },
  onProgress: (t: Tally) => void = () => {},
): Promise<Tally> {
  const prefix = literalPrefix(pattern);
  const re = globToRegExp(pattern);
  let startAt = "";
  for (;;) {
    const page = await from.list(prefix, startAt, LIST_PAGE_SIZE, signal);
    for (const name of page.names) {
      if (!re.test(name)) continue;
      signal.throwIfAborted();
      t.matched++;
      await copyKey(from, to, name, mode, t, signal);
      onProgress(t);
    }
    if (page.continueAt === "" || page.continueAt <= startAt) return t;
    startAt = page.continueAt;
  }
}

function progressPrinter(): { update: (t: Tally) => void; done: () => void } {
  if (process.stderr.isTTY !== true) return { update: () => {}, done: () => {} };
  const started = performance.now();
  let last = 0;
  const draw = (t: Tally) => {
    const rate = t.matched / Math.max(0.001, (performance.now() - started) / 1000);
    process.stderr.write(
      `\r\x1b[2Kkeyfront: migrating… ${t.matched} keys (${t.migrated} copied, ${t.skipped} skipped, ${t.replaced} replaced) ${rate.toFixed(0)}/s`,
    );
  };
  let current: Tally | undefined;
  return {
    update: (t) => {
      current = t;
      const now = performance.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        draw(t);
      }
    },
    done: () => {
      if (current !== undefined) {
        draw(current);
        process.stderr.write("\n");
      }
    },
  };
}

function summary(t: Tally): string {
  const records = t.records === 0 ? "" : `; ${t.records} version and state records copied`;
  return `migrated ${t.migrated} keys, skipped ${t.skipped} existing, replaced ${t.replaced} (${t.matched} matched${records})`;
}

export async function runMigrate(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, USAGE);
  if (values.from === undefined) throw new UsageError(`--from is required\nusage: ${USAGE}`);
  if (values.to === undefined) throw new UsageError(`--to is required\nusage: ${USAGE}`);
  if (values.merge && values.force)
    throw new UsageError("--merge and --force are mutually exclusive");
  if (positionals.length > 1) throw new UsageError(`too many arguments\nusage: ${USAGE}`);
  const pattern = positionals[0] ?? "*";
  globToRegExp(pattern);
  const { from: fromPath, to: toPath } = values;
  const fromConfig = loadConfig("--from", fromPath);
  const toConfig = loadConfig("--to", toPath);
  if (storeLocation(fromConfig) === storeLocation(toConfig)) {
    throw new CommandError("--from and --to name the same keystore");
  }
  const mode: Mode = values.merge ? "merge" : values.force ? "force" : "stop";
  const progress = progressPrinter();
  const tally: Tally = { matched: 0, migrated: 0, skipped: 0, replaced: 0, records: 0 };
  await untilInterrupted(async (signal) => {
    // Both stores usable before the first read: a target that is sealed, unreachable or not
    // the configured mount fails here, with nothing written.
    const from = await openUsableStore("--from", fromPath, fromConfig, signal);
    const to = await openUsableStore("--to", toPath, toConfig, signal).catch(
      async (err: unknown) => {
        await from.close();
        throw err;
      },
    );
    try {
      await migrateKeys(from, to, pattern, mode, signal, tally, progress.update).catch((err) => {
        if (signal.aborted)
          throw new CommandError(`interrupted: ${summary(tally)}; re-run with --merge to finish`);
        if (err instanceof CommandError)
          throw new CommandError(`${err.message} (${summary(tally)})`);
        throw new CommandError(
          `migration failed: ${(err as Error).message} (${summary(tally)}); re-run with --merge to finish`,
        );
      });
    } finally {
      progress.done();
      await Promise.allSettled([from.close(), to.close()]);
    }
  });
  if (values.json) printJson(tally);
  else result(summary(tally));
  return 0;
}
