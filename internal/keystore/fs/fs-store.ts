// The filesystem keystore (kes-api.md §8.2 "Filesystem"; config `keystore.fs.path`): one file per
// key in one directory, file name = key name. It is keyfront's embedded default, so unlike KES's
// test-only store it is durable: a create is written to a temp file, fsynced, hard-linked into
// place (atomic, never overwrites) and the directory fsynced, so a crash at any point leaves the
// key either absent or complete. It must never overwrite a key, never list a temp file, and never
// put a key value into an error. One keyfront process per directory: startup removes stale temps.

import { access, mkdir, readdir, stat, unlink } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { KeyExistsError, KeyNotFoundError, KeystoreUnreachableError } from "../../errors.js";
import { MAX_KEY_VALUE_BYTES } from "../../limits.js";
import type { KeyStore, KeystoreStatus, ListPage } from "../keystore.js";
import { pageNames } from "../keystore.js";
import { CaseInsensitiveDirError, checkKeyDir } from "./fs-checks.js";
import {
  codeOf,
  isListableName,
  isStaleTemp,
  isStorableName,
  KEY_DIR_MODE,
  makeTempName,
  readIfThere,
  syncDir,
  TEMP_PREFIX,
  writeExclusive,
} from "./fs-io.js";

export interface FsStoreOptions {
  /** The key directory; created (mode 0700, parents too) if missing. */
  path: string;
  /** Told about a key directory others can read or change (fs-checks.ts). */
  warn?: (message: string) => void;
}

/**
 * Opens (creating if needed) the key directory and removes temp files left by a crash.
 * An existing directory keeps its mode (a warning if others can read or change it); a new one
 * gets 0700 (stricter than KES's 0755: it holds keys). Throws if the path cannot be created, is
 * not a directory, or folds case (fs-checks.ts).
 */
export async function connectFs(options: FsStoreOptions): Promise<KeyStore> {
  const dir = resolve(options.path);
  try {
    await mkdir(dir, { recursive: true, mode: KEY_DIR_MODE });
    const info = await stat(dir);
    if (!info.isDirectory()) throw new Error("not a directory");
    await removeStaleTemps(dir);
    for (const w of await checkKeyDir(dir, info)) options.warn?.(w);
  } catch (err) {
    if (err instanceof CaseInsensitiveDirError) throw err;
    throw new Error(`fs keystore: cannot open key directory '${dir}'`, { cause: err });
  }
  return new FsStore(dir);
}

/** Deletes `.tmp-*` files of dead writers: writes that never completed (never linked into place). */
async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir);
  const stale = names.filter((n) => n.startsWith(TEMP_PREFIX) && isStaleTemp(n));
  for (const name of stale) {
    await unlink(join(dir, name)).catch((err: unknown) => {
      if (codeOf(err) !== "ENOENT") throw err;
    });
  }
  if (stale.length > 0) await syncDir(dir);
}

class FsStore implements KeyStore {
  readonly kind = "fs";
  readonly #dir: string;
  /** `dir` with one trailing separator: a key's path is this + its (checked) name. */
  readonly #prefix: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.#prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  }

  /** The file of a name that passed #checkName (no separator, no "..": path.join is not needed). */
  #path(name: string): string {
    return `${this.#prefix}${name}`;
  }

  async create(name: string, value: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.#checkName(name, "create");
    const data = Buffer.from(value, "utf8");
    if (data.length > MAX_KEY_VALUE_BYTES) {
      // A value we could not read back must not be written.
      throw new Error(`fs keystore: failed to create key '${name}': value exceeds read cap`);
    }
    let created: boolean;
    try {
      created = await writeExclusive(this.#dir, makeTempName(), name, data);
    } catch (err) {
      throw new Error(`fs keystore: failed to create key '${name}'`, { cause: err });
    }
    if (!created) throw new KeyExistsError(name);
  }

  async get(name: string, signal?: AbortSignal): Promise<string> {
    const value = await this.find(name, signal);
    if (value === undefined) throw new KeyNotFoundError(name);
    return value;
  }

  async find(name: string, signal?: AbortSignal): Promise<string | undefined> {
    signal?.throwIfAborted();
    this.#checkName(name, "read");
    let data: Buffer | undefined;
    try {
      data = await readIfThere(this.#path(name), MAX_KEY_VALUE_BYTES);
    } catch (err) {
      throw new Error(`fs keystore: failed to read key '${name}'`, { cause: err });
    }
    if (data === undefined) {
      const gone = await this.#dirGone(name, "read");
      if (gone) throw gone;
      return undefined;
    }
    return data.toString("utf8");
  }

  async delete(name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.#checkName(name, "delete");
    try {
      await unlink(this.#path(name));
    } catch (err) {
      if (codeOf(err) === "ENOENT")
        throw (await this.#dirGone(name, "delete")) ?? new KeyNotFoundError(name);
      throw new Error(`fs keystore: failed to delete key '${name}'`, { cause: err });
    }
    try {
      await syncDir(this.#dir);
    } catch (err) {
      throw new Error(`fs keystore: failed to delete key '${name}'`, { cause: err });
    }
  }

  /**
   * A missing file means a missing key only while the directory itself is there; a vanished
   * directory (unmounted volume, deleted data dir) is an unreachable keystore, never a 404.
   * Reading or deleting `dir/name` fails with ENOTDIR, not ENOENT, when `dir` is no longer a
   * directory, so after an ENOENT it is enough to ask whether the path still exists.
   */
  async #dirGone(name: string, op: string): Promise<Error | undefined> {
    try {
      await access(this.#dir);
      return undefined;
    } catch (err) {
      return new KeystoreUnreachableError(
        `fs keystore: cannot ${op} key '${name}': ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  async list(
    prefix: string,
    startAt: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<ListPage> {
    signal?.throwIfAborted();
    let names: string[];
    try {
      const entries = await readdir(this.#dir, { withFileTypes: true });
      names = entries.filter((e) => e.isFile() && isListableName(e.name)).map((e) => e.name);
    } catch (err) {
      throw new Error("fs keystore: failed to list keys", { cause: err });
    }
    return pageNames(names, prefix, startAt, limit);
  }

  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    signal?.throwIfAborted();
    const start = process.hrtime.bigint();
    try {
      const info = await stat(this.#dir);
      if (!info.isDirectory()) throw new Error(`'${this.#dir}' is not a directory`);
    } catch (err) {
      throw new KeystoreUnreachableError(`kes: keystore unreachable: ${messageOf(err)}`, {
        cause: err,
      });
    }
    return { latencyNs: process.hrtime.bigint() - start };
  }

  async close(): Promise<void> {
    // No background work and no open handles between calls.
  }

  #checkName(name: string, op: string): void {
    if (!isStorableName(name)) {
      throw new Error(`fs keystore: cannot ${op} key: invalid key name '${printable(name)}'`);
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Escapes control characters so a hostile name cannot forge log lines. */
function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}
