// Checks the files a loaded configuration names (tls.key/cert/ca, the fs keystore directory,
// keystore.vault.tls.*, the Kubernetes JWT file) and reports every problem into Problems in the
// `file:line path: what` form, next to the schema and semantic problems, so one run lists them all.
// Reads files (sizes capped), never writes, never prints, and never puts file contents (a private
// key, a JWT) into a message.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CONFIG_CA_DIR_MAX_FILES, CONFIG_REFERENCED_FILE_MAX_BYTES } from "../limits.js";
import { loadPrivateKeyPem } from "../pki/keys.js";
import { certificatePemBlocks, parsePemBlocks } from "../pki/pem.js";
import type { Config } from "./config.js";
import type { Problems, Segment } from "./problems.js";

/** Reports every problem with the files `config` names. Empty paths (already reported) are skipped. */
export function checkConfigFiles(config: Config, p: Problems): void {
  const { tls } = config;
  checkCertFile(p, ["tls", "cert"], tls.cert);
  checkKeyFile(p, ["tls", "key"], tls.key, tls.password);
  if (tls.ca !== undefined) checkCaPath(p, ["tls", "ca"], tls.ca);
  const ks = config.keystore;
  if (ks.kind === "fs") checkKeyDir(p, ["keystore", "fs", "path"], ks.fs.path);
  if (ks.kind === "vault") {
    const at = (...s: Segment[]) => ["keystore", "vault", ...s];
    const v = ks.vault;
    if (v.tls.cert !== undefined) checkCertFile(p, at("tls", "cert"), v.tls.cert);
    if (v.tls.key !== undefined) checkKeyFile(p, at("tls", "key"), v.tls.key, undefined);
    if (v.tls.ca !== undefined) checkCaPath(p, at("tls", "ca"), v.tls.ca);
    if (v.auth.kind === "kubernetes" && v.auth.jwtFile !== undefined) {
      readText(p, at("kubernetes", "jwt"), v.auth.jwtFile);
    }
  }
}

/** The text of a regular file of at most CONFIG_REFERENCED_FILE_MAX_BYTES, or undefined (reported). */
function readText(p: Problems, at: Segment[], path: string): string | undefined {
  if (path === "") return undefined;
  try {
    const info = statSync(path);
    if (!info.isFile()) {
      p.error(at, `'${path}' is not a regular file`);
      return undefined;
    }
    if (info.size > CONFIG_REFERENCED_FILE_MAX_BYTES) {
      p.error(at, `'${path}' is larger than ${CONFIG_REFERENCED_FILE_MAX_BYTES} bytes`);
      return undefined;
    }
    return readFileSync(path, "utf8");
  } catch (err) {
    p.error(at, `cannot read '${path}' (${reasonOf(err)})`);
    return undefined;
  }
}

function checkCertFile(p: Problems, at: Segment[], path: string): void {
  const text = readText(p, at, path);
  if (text === undefined) return;
  try {
    certificatePemBlocks(text);
  } catch (err) {
    p.error(at, `'${path}' is not a PEM certificate file: ${(err as Error).message}`);
  }
}

function checkKeyFile(p: Problems, at: Segment[], path: string, password: string | undefined) {
  const text = readText(p, at, path);
  if (text === undefined) return;
  try {
    loadPrivateKeyPem(text, password);
  } catch (err) {
    p.error(at, `'${path}' is not a usable PEM private key: ${(err as Error).message}`);
  }
}

/** A CA file, or a directory whose files are read (hidden files skipped), holding certificates. */
function checkCaPath(p: Problems, at: Segment[], path: string): void {
  if (path === "") return;
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? listDir(path) : [path];
  } catch (err) {
    p.error(at, `cannot read '${path}' (${reasonOf(err)})`);
    return;
  }
  let certificates = 0;
  for (const file of files) {
    const text = readText(p, at, file);
    if (text === undefined) continue;
    try {
      certificates += parsePemBlocks(text).filter((b) => b.type === "CERTIFICATE").length;
    } catch (err) {
      p.error(at, `'${file}' is not valid PEM: ${(err as Error).message}`);
    }
  }
  if (certificates === 0) p.error(at, `'${path}' holds no PEM certificate`);
}

function listDir(path: string): string[] {
  const names = readdirSync(path).filter((f) => !f.startsWith("."));
  return names.slice(0, CONFIG_CA_DIR_MAX_FILES).map((f) => join(path, f));
}

/** The key directory is created at start: it must be a directory or creatable under one. */
function checkKeyDir(p: Problems, at: Segment[], path: string): void {
  if (path === "") return;
  let dir = resolve(path);
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) {
        const what = dir === resolve(path) ? `'${path}'` : `'${dir}' (a parent of '${path}')`;
        p.error(at, `${what} is not a directory`);
      }
      return;
    } catch (err) {
      const reason = reasonOf(err);
      if (reason !== "ENOENT" && reason !== "ENOTDIR") {
        p.error(at, `cannot use '${path}' (${reason})`);
        return;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function reasonOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
