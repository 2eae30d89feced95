// Checks of the fs keystore's directory when it opens: a directory others can read or write is a
// warning (keys are 0600, but names and the power to add or remove files leak); a directory that
// folds case is refused, because key names are case-sensitive while policies match the request
// path exactly: on such a directory `SECRET-a` opens the file of `secret-a` and so evades a deny
// on `/v1/key/decrypt/secret-*`. It must never leave its probe file behind on a normal return.

import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { constants, lstat, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TEMP_PREFIX } from "./fs-io.js";

/** Permission bits that let other users list, read, add or remove key files. */
const SHARED_BITS = 0o066;

/** A warning when an existing key directory is open to group or others, else undefined. */
export function sharedDirWarning(dir: string, info: Stats): string | undefined {
  if ((info.mode & SHARED_BITS) === 0) return undefined;
  const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
  return `fs keystore: the key directory '${dir}' can be read or changed by other users (mode ${mode}): chmod 700 it`;
}

export type Lookup = (path: string) => Promise<Stats>;

/**
 * True when the directory resolves a name in another case to the same file. The probe is a temp
 * file (a name no key can have, removed at the next start if a crash leaves it) in lower case;
 * `lookup` is lstat, replaceable only to exercise the refusal where no such filesystem exists.
 */
export async function isCaseInsensitive(dir: string, lookup: Lookup = lstat): Promise<boolean> {
  const name = `${TEMP_PREFIX}${process.pid}-case-probe-${randomBytes(6).toString("hex")}`;
  const probe = join(dir, name);
  const handle = await open(
    probe,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    0o600,
  );
  try {
    await handle.close();
    const mine = await lstat(probe);
    let other: Stats;
    try {
      other = await lookup(join(dir, name.toUpperCase()));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    return other.ino === mine.ino && other.dev === mine.dev;
  } finally {
    await unlink(probe);
  }
}

/** Refuses a case-insensitive directory; returns the warnings to log. */
export async function checkKeyDir(dir: string, info: Stats, lookup?: Lookup): Promise<string[]> {
  const warnings: string[] = [];
  let folds: boolean;
  try {
    folds = await isCaseInsensitive(dir, lookup);
  } catch (err) {
    // A read-only directory still serves reads, as before: say that it went unchecked.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    warnings.push(
      `fs keystore: cannot check whether the key directory '${dir}' is case-insensitive (${code})`,
    );
    folds = false;
  }
  if (folds) throw new CaseInsensitiveDirError(dir);
  // A directory keyfront created is 0700 (less the umask), so only an existing one can warn.
  const shared = sharedDirWarning(dir, info);
  if (shared !== undefined) warnings.push(shared);
  return warnings;
}

export class CaseInsensitiveDirError extends Error {
  constructor(dir: string) {
    super(
      `fs keystore: the key directory '${dir}' is on a case-insensitive filesystem: key names are case-sensitive and policies compare them exactly, so 'SECRET-a' would open the key 'secret-a' and evade a deny on 'secret-*'; use a case-sensitive filesystem`,
    );
    this.name = "CaseInsensitiveDirError";
  }
}
