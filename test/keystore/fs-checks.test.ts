// The fs keystore's checks of its directory at open (internal/keystore/fs/fs-checks.ts): a
// directory others can read or change warns, a case-folding one is refused, the probe file
// never stays behind.

import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CaseInsensitiveDirError,
  checkKeyDir,
  isCaseInsensitive,
} from "../../internal/keystore/fs/fs-checks.js";
import { connectFs } from "../../internal/keystore/fs/fs-store.js";

let root = "";
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "keyfront-fschk-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function open(mode: number | undefined): Promise<{ dir: string; warnings: string[] }> {
  const dir = join(root, "keys");
  if (mode !== undefined) {
    await mkdir(dir);
    await chmod(dir, mode);
  }
  const warnings: string[] = [];
  const store = await connectFs({ path: dir, warn: (m) => warnings.push(m) });
  await store.close();
  return { dir, warnings };
}

describe("key directory permissions", () => {
  it("a directory keyfront creates is 0700 and opens without a word, probe removed", async () => {
    const { dir, warnings } = await open(undefined);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(warnings).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([[0o700], [0o711]])("an existing %o directory opens without a word", async (mode) => {
    const { dir, warnings } = await open(mode);
    expect(warnings).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    [0o755, "0755"],
    [0o750, "0750"],
    [0o740, "0740"],
    [0o704, "0704"],
    [0o722, "0722"],
    [0o777, "0777"],
  ])("an existing %o directory opens with a warning naming it", async (mode, shown) => {
    const { dir, warnings } = await open(mode);
    expect(warnings).toEqual([
      `fs keystore: the key directory '${dir}' can be read or changed by other users (mode ${shown}): chmod 700 it`,
    ]);
    expect((await stat(dir)).mode & 0o777).toBe(mode); // keyfront warns, it does not chmod
  });
});

describe("case-insensitive key directory", () => {
  it("a case-sensitive directory is not reported, and the probe is gone", async () => {
    expect(await isCaseInsensitive(root)).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });

  // Linux here has neither CONFIG_UNICODE (ext4/tmpfs casefold) nor vfat, so the folding is
  // played by the lookup: the uppercase name resolves to the lowercase file, as on such a disk.
  const folding = (path: string) => lstat(join(dirname(path), basename(path).toLowerCase()));

  it("a directory that folds case is refused with the reason, and the probe is gone", async () => {
    await expect(checkKeyDir(root, await stat(root), folding)).rejects.toThrow(
      CaseInsensitiveDirError,
    );
    await expect(checkKeyDir(root, await stat(root), folding)).rejects.toThrow(
      `fs keystore: the key directory '${root}' is on a case-insensitive filesystem: key names are case-sensitive and policies compare them exactly, so 'SECRET-a' would open the key 'secret-a' and evade a deny on 'secret-*'; use a case-sensitive filesystem`,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it("another file under the uppercase name (a case-sensitive disk) is not folding", async () => {
    const other = join(root, "other");
    await mkdir(other);
    const elsewhere = () => lstat(other);
    expect(await isCaseInsensitive(root, elsewhere)).toBe(false);
    expect(await readdir(root)).toEqual(["other"]);
  });

  it("a probe that fails is a warning, not a refusal (a read-only directory still serves)", async () => {
    const failing = () => Promise.reject(Object.assign(new Error("io"), { code: "EIO" }));
    expect(await checkKeyDir(root, await stat(root), failing)).toEqual([
      `fs keystore: cannot check whether the key directory '${root}' is case-insensitive (EIO)`,
    ]);
    expect(await readdir(root)).toEqual([]);
  });
});
