// Writes a set of files (a private key and its certificate) so that a crash or a kill never leaves
// a file half-written, missing, or a key that was lost before its replacement was complete.
// Each file is first written in full to a temp file beside it (created with its final mode, so a
// private key is never readable by others, not even for a moment) and fsynced; only then are the
// temp files moved into place, in the caller's order, by rename (replace) or link (create-only).
//
// Guarantee: every path holds either its complete old content or its complete new content. Two
// renames cannot be one atomic step, so a kill between them (a window of one system call, after
// all new data is on disk) leaves the first file new and the second old; callers order the files
// so that the secret one moves last (its old version survives until the very end). No temp file
// is left behind except by a kill during the call; the names start with "." and end ".tmp-<pid>-…".

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface FileToWrite {
  path: string;
  data: string | Uint8Array;
  mode: number;
}

/** A failed write, naming the file it was for (never a temp name). */
export class AtomicWriteError extends Error {
  readonly path: string;
  readonly code: string;
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    super(`cannot write '${path}': ${code}`, { cause });
    this.name = "AtomicWriteError";
    this.path = path;
    this.code = code;
  }
}

export function tempNameFor(path: string): string {
  const suffix = `${process.pid}-${randomBytes(6).toString("hex")}`;
  return join(dirname(path), `.${basename(path)}.tmp-${suffix}`);
}

async function writeTemp(file: FileToWrite): Promise<string> {
  const temp = tempNameFor(file.path);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  const handle = await open(temp, flags, file.mode);
  try {
    await handle.writeFile(file.data);
    await handle.chmod(file.mode); // the umask may have taken bits the file must have
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await handle.close();
  return temp;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `files` in order. `replace` renames over existing files; otherwise an existing file
 * fails the call with EEXIST and the files this call already put in place are removed again.
 */
export async function writeFilesAtomically(
  files: readonly FileToWrite[],
  replace: boolean,
): Promise<void> {
  const temps: string[] = [];
  const placed: string[] = [];
  let current = "";
  try {
    for (const f of files) {
      current = f.path;
      temps.push(await writeTemp(f));
    }
    for (const [i, f] of files.entries()) {
      current = f.path;
      const temp = temps[i] as string;
      if (replace) await rename(temp, f.path);
      else {
        await link(temp, f.path);
        placed.push(f.path);
        await unlink(temp);
      }
      temps[i] = "";
    }
    for (const dir of new Set(files.map((f) => dirname(f.path)))) await syncDir(dir);
  } catch (err) {
    for (const t of temps) if (t !== "") await unlink(t).catch(() => {});
    for (const p of placed) await unlink(p).catch(() => {});
    throw new AtomicWriteError(current, err);
  }
}
