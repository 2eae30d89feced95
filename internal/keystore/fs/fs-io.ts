// Low-level file operations of the fs keystore: crash-safe create-only writes, capped reads,
// directory fsync, temp-file naming and the file-name rules. This file must never overwrite an
// existing key file, never leave a partially written file under a key's name, and never put a
// key value into an error message.

import { randomBytes } from "node:crypto";
import { close as fsClose, open as fsOpen, read as fsRead } from "node:fs";
import { constants, type FileHandle, link, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isValidName } from "../../config/names.js";

/** Prefix of in-progress writes. A leading "." can never start a valid key name (§13.1). */
export const TEMP_PREFIX = ".tmp-";

/** Key file mode: owner read/write only. */
export const KEY_FILE_MODE = 0o600;

/**
 * Key directory mode: owner only. Stricter than KES's 0755 (kes-api.md §8.2) on purpose — the
 * directory holds key material and nobody else needs to list it.
 */
export const KEY_DIR_MODE = 0o700;

/**
 * What follows a key's name in the records of its later versions and states (design.md §1):
 * `.v<N>` and `.s<K>`, N and K ≥ 1 in decimal without a leading zero, at most 10 digits.
 */
const RECORD_SUFFIX = /\.(v|s)[1-9][0-9]{0,9}$/;

/** `<valid name>.v<N>` or `<valid name>.s<K>`: a record of a key. Never listed as a key. */
function isRecordName(name: string): boolean {
  const suffix = RECORD_SUFFIX.exec(name);
  return suffix !== null && isValidName(name.slice(0, suffix.index));
}

/** True for a file name `list` may report: a valid key name, so never a temp file. */
export function isListableName(name: string): boolean {
  return isValidName(name); // kes-api.md §13.1
}

/**
 * Defensive check for names used as a file name. Names are validated before they reach a store,
 * but predefined config keys may not be (§8.1), and a name must never escape the directory or
 * collide with a temp file, so "/", "\", ".", NUL and "" are rejected here regardless.
 */
export function isStorableName(name: string): boolean {
  if (isRecordName(name)) return true;
  return name !== "" && !/[/\\.\0]/.test(name);
}

/**
 * Tags this process's temp files: with the pid it tells our own in-flight writes (never stale,
 * even when a config reload reopens the directory) from those of an earlier process that had
 * the same pid (stale).
 */
const PROCESS_TAG = randomBytes(6).toString("hex");

/** A fresh temp-file name in the key directory; never a valid key name. */
export function makeTempName(): string {
  return `${TEMP_PREFIX}${process.pid}-${PROCESS_TAG}-${randomBytes(12).toString("hex")}`;
}

/**
 * Whether a temp file may be removed when the directory is opened: its writer (the pid in its
 * name) is gone. Several keyfront workers share one directory, so a live writer's file is never
 * touched, and neither is this process's own: a reload reopens the store while a create of the
 * old state may still be writing its temp file.
 */
export function isStaleTemp(name: string): boolean {
  const pid = Number(/^\.tmp-(\d+)-/.exec(name)?.[1] ?? Number.NaN);
  if (!Number.isInteger(pid)) return true;
  if (pid === process.pid) return !name.startsWith(`${TEMP_PREFIX}${pid}-${PROCESS_TAG}-`);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return codeOf(err) === "ESRCH";
  }
}

/** Node's error code of a failed fs call, if any. */
export function codeOf(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/**
 * Writes `data` to `dir/tmpName` (created exclusively, mode 0600) and fsyncs it, then hard-links
 * it to `dir/finalName`. `link` is atomic and fails with EEXIST if the final name exists, so the
 * key appears complete or not at all and is never overwritten. The temp file is always removed
 * and the directory fsynced, so the new entry survives a power loss. Returns false on EEXIST.
 */
export async function writeExclusive(
  dir: string,
  tmpName: string,
  finalName: string,
  data: Buffer,
): Promise<boolean> {
  const tmpPath = join(dir, tmpName);
  let created = false;
  try {
    await writeSynced(tmpPath, data);
    try {
      await link(tmpPath, join(dir, finalName));
      created = true;
    } catch (err) {
      if (codeOf(err) !== "EEXIST") throw err;
    }
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  await syncDir(dir);
  return created;
}

async function writeSynced(path: string, data: Buffer): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  const fh = await open(path, flags, KEY_FILE_MODE);
  try {
    await fh.chmod(KEY_FILE_MODE); // the umask may only take bits away; pin the mode anyway
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Reads a whole file, failing (without reading further) once it exceeds `cap` bytes; undefined
 * when it does not exist (ENOENT). Other errors keep their Node `code` (EISDIR, …) so the caller
 * can map them.
 *
 * Built on the callback API, not node:fs/promises: a ring load reads three records, two of them
 * usually absent, and measured here the promise API cost twice the CPU — a FileHandle per open,
 * an fstat with its Stats object, and a JavaScript stack trace captured for every ENOENT (open +
 * read + close: 74 µs of CPU against 144–169 µs for open + fstat + read + close; an absent file
 * 25–28 µs against 38–57 µs). Cold key loads are where that counts: the bench's memory section
 * loads 20,000 of them.
 */
export async function readIfThere(path: string, cap: number): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = await new Promise<number>((ok, fail) =>
      fsOpen(path, constants.O_RDONLY, (err, got) => (err ? fail(err) : ok(got))),
    );
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw err;
  }
  let failed = false;
  try {
    return await readToEnd(fd, cap);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await new Promise<void>((ok, fail) =>
      // A failed close after a failed read must not hide the read's error.
      fsClose(fd, (err) => (err && !failed ? fail(err) : ok())),
    );
  }
}

/** The first read's size: key values are a few hundred bytes, version records about 1 KiB. */
const FIRST_READ_BYTES = 4096;

/**
 * Reads `fd` until EOF (a read of 0 bytes: a short read is not taken for the end) into a
 * zero-filled buffer, growing it up to `cap + 1` bytes; throws once more than `cap` arrive.
 */
async function readToEnd(fd: number, cap: number): Promise<Buffer> {
  let buf = Buffer.alloc(Math.min(FIRST_READ_BYTES, cap + 1));
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (buf.length > cap) throw new Error(`file is larger than ${cap} bytes`);
      const bigger = Buffer.alloc(Math.min(buf.length * 4, cap + 1));
      buf.copy(bigger, 0, 0, used);
      buf.fill(0);
      buf = bigger;
    }
    const target = buf;
    const n = await new Promise<number>((ok, fail) =>
      fsRead(fd, target, used, target.length - used, null, (err, got) =>
        err ? fail(err) : ok(got),
      ),
    );
    if (n === 0) break;
    used += n;
  }
  if (used > cap) throw new Error(`file is larger than ${cap} bytes`);
  return buf.subarray(0, used);
}

/**
 * fsyncs a directory so that created/removed entries are durable. Filesystems that cannot fsync
 * a directory (EINVAL, EISDIR, EPERM on some platforms) are tolerated: there is nothing more
 * we could do there.
 */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (err) {
    const code = codeOf(err);
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") throw err;
  } finally {
    await fh?.close();
  }
}
