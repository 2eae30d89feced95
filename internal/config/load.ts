// Loads the server config: read (size-capped) → parse YAML → expand ${ENV} → type → validate →
// normalise → deep-freeze (kes-api.md §10). Reports every problem at once as
// `file:line path.to.field: what is wrong`. It must never throw anything but ConfigError for a bad
// or unreadable file, and never print: callers decide what to do with errors and warnings.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MAX_CONFIG_BYTES } from "../limits.js";
import { coerceTree } from "./coerce.js";
import type { Config } from "./config.js";
import type { Env } from "./env.js";
import { checkConfigFiles } from "./file-checks.js";
import { normalizeConfig } from "./normalize.js";
import { Problems } from "./problems.js";
import { RawConfigSchema } from "./schema.js";
import { validateRaw } from "./validate.js";
import { parseTree } from "./yaml-tree.js";

export class ConfigError extends Error {
  /** Each `file:line path: message`, ordered by line. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

export interface LoadedConfig {
  config: Config;
  /** Unknown fields, which KES ignores silently: `file:line path: unknown field 'x' (ignored)`. */
  warnings: string[];
}

export interface LoadOptions {
  /** Also check the files the config names (readable, PEM, …), reported with the rest. */
  checkFiles?: boolean;
}

/** Parses config text; `fileName` prefixes every problem. Throws ConfigError. */
export function parseConfigText(
  text: string,
  fileName: string,
  env: Env,
  opts: LoadOptions = {},
): LoadedConfig {
  const problems = new Problems(fileName);
  const fail = (): never => {
    throw new ConfigError(problems.errors());
  };
  const tree = parseTree(text, env, problems);
  if (tree === undefined) return fail();
  const typed = coerceTree(RawConfigSchema, tree, [], problems);
  const raw = validateRaw(typed, problems);
  if (raw === undefined) return fail();
  const config = normalizeConfig(raw, fileName, env, problems);
  if (opts.checkFiles === true) checkConfigFiles(config, problems);
  if (problems.hasErrors) return fail();
  return { config: deepFreeze(config), warnings: problems.warnings() };
}

/** Reads and parses a config file (at most MAX_CONFIG_BYTES). Throws ConfigError. */
export function loadConfigFile(
  path: string,
  env: Env = process.env,
  opts: LoadOptions = {},
): LoadedConfig {
  return parseConfigText(readConfigText(path), path, env, opts);
}

function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readCapped(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError([`${path}: cannot read the config file (${reason})`]);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([`${path}: the config file is not valid UTF-8`]);
  }
}

function readCapped(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    if (!fstatSync(fd).isFile()) throw new ConfigError([`${path}: not a regular file`]);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) {
      got = readSync(fd, buf, n, buf.length - n, null);
    }
    if (n > MAX_CONFIG_BYTES) {
      throw new ConfigError([`${path}: the config file is larger than ${MAX_CONFIG_BYTES} bytes`]);
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
