// `keyfront identity new --key F --cert F -f` replaces an existing key pair atomically: each file
// is written in full to a temp file beside it and renamed into place, the certificate first and
// the private key last, so the old private key survives until its replacement is complete
// (cmd/keyfront/atomic-files.ts). The real CLI as a subprocess, killed at moments spread over a run.

import { spawn } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityOfSpki } from "../../internal/identity/identity.js";
import { CLI, ROOT, requireBuild } from "../helpers/server.js";
import { cleanEnv, kf } from "./cli-helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-force-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Pair {
  keyPem: string;
  certPem: string;
  keyIdentity: string;
  certIdentity: string;
}

/** Reads both files; throws if either is not complete (a partial PEM does not parse). */
async function readPair(sub: string): Promise<Pair> {
  const keyPem = await readFile(join(sub, "id.key"), "utf8");
  const certPem = await readFile(join(sub, "id.crt"), "utf8");
  const spki = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  const cert = new X509Certificate(certPem);
  const certSpki = cert.publicKey.export({ type: "spki", format: "der" });
  return {
    keyPem,
    certPem,
    keyIdentity: identityOfSpki(spki),
    certIdentity: identityOfSpki(certSpki),
  };
}

async function newPair(sub: string, force: boolean) {
  const args = ["identity", "new", "--key", join(sub, "id.key"), "--cert", join(sub, "id.crt")];
  return kf(force ? [...args, "-f"] : args);
}

describe("identity new --force", () => {
  it("replaces both files with a matching new pair, key 0600, no temp file left", async () => {
    const sub = join(dir, "replace");
    await mkdir(sub);
    expect((await newPair(sub, false)).code).toBe(0);
    const old = await readPair(sub);
    const r = await newPair(sub, true);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const now = await readPair(sub);
    expect(now.keyIdentity).toBe(now.certIdentity);
    expect(now.keyIdentity).not.toBe(old.keyIdentity);
    expect((await stat(join(sub, "id.key"))).mode & 0o777).toBe(0o600);
    expect((await readdir(sub)).sort()).toEqual(["id.crt", "id.key"]);
  });

  it("the key is 0600 from its first byte even under umask 000", async () => {
    const sub = join(dir, "umask");
    await mkdir(sub);
    requireBuild();
    const script = `umask 000; exec "${process.execPath}" "${CLI}" identity new --key id.key --cert id.crt`;
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn("sh", ["-c", script], { cwd: sub, env: { ...process.env, ...cleanEnv() } });
      p.on("exit", resolve);
    });
    expect(code).toBe(0);
    expect((await stat(join(sub, "id.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(sub, "id.crt"))).mode & 0o777).toBe(0o644);
  });

  it("a failed replacement leaves the old pair intact and no temp file", async () => {
    const sub = join(dir, "fail");
    await mkdir(sub);
    expect((await newPair(sub, false)).code).toBe(0);
    const old = await readPair(sub);
    // The certificate cannot be renamed over a directory: the write fails after both temp files
    // were written in full, before anything moved.
    const certDir = join(sub, "cert-is-a-dir");
    await mkdir(certDir);
    const r = await kf(["identity", "new", "--key", join(sub, "id.key"), "--cert", certDir, "-f"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`keyfront: cannot write '${certDir}': EISDIR\n`);
    expect(await readPair(sub)).toEqual(old);
    expect((await readdir(sub)).sort()).toEqual(["cert-is-a-dir", "id.crt", "id.key"]);
  });

  it("without -f an existing file is refused and the other file is not created", async () => {
    const sub = join(dir, "exists");
    await mkdir(sub);
    await writeFile(join(sub, "id.key"), "not mine");
    const r = await newPair(sub, false);
    expect(r.code).toBe(1);
    expect((await readdir(sub)).sort()).toEqual(["id.key"]);
    expect(await readFile(join(sub, "id.key"), "utf8")).toBe("not mine");
  });

  it("killed at moments spread over a run: files are always complete and the old key is never lost first", async () => {
    const sub = join(dir, "kill");
    await mkdir(sub);
    expect((await newPair(sub, false)).code).toBe(0);
    requireBuild();
    // How long a whole run takes here; the files move at its very end, so the kills are spread
    // from the middle of a run to past its end.
    const t0 = Date.now();
    expect((await newPair(sub, true)).code).toBe(0);
    const runMs = Date.now() - t0;
    let previous = await readPair(sub);
    const outcomes = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const args = [
        CLI,
        "identity",
        "new",
        "--key",
        join(sub, "id.key"),
        "--cert",
        join(sub, "id.crt"),
        "-f",
      ];
      const p = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...cleanEnv() },
      });
      const exited = new Promise((r) => p.once("exit", r));
      await new Promise((r) => setTimeout(r, runMs * (0.5 + i / 18)));
      p.kill("SIGKILL");
      await exited;
      const now = await readPair(sub); // throws on a partial file
      if (now.keyIdentity === now.certIdentity) {
        outcomes.add(now.keyIdentity === previous.keyIdentity ? "old pair" : "new pair");
      } else {
        // Only between the two renames: the new certificate is in place, the old key is kept.
        expect(now.keyPem).toBe(previous.keyPem);
        expect(now.certIdentity).not.toBe(previous.certIdentity);
        outcomes.add("new cert, old key");
      }
      previous = now;
      // Whatever a kill left behind is a dot-file temp, never a key or certificate name.
      for (const name of await readdir(sub)) {
        expect(
          name === "id.key" ||
            name === "id.crt" ||
            /^\.id\.(key|crt)\.tmp-\d+-[0-9a-f]+$/.test(name),
        ).toBe(true);
      }
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
