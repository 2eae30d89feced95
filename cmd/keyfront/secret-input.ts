// Secrets the CLI takes as arguments (an API key, imported key material, a plaintext): `-` reads
// stdin, `@FILE` reads a file, anything else is the value itself and earns a warning, because a
// command line shows in the process list (`ps`) and in shell history. When the secret is missing
// and stdin is a terminal it is asked for without echo. It must never print the secret, not even
// a piece of it in an error, and never read more than CLI_SECRET_MAX_BYTES.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CLI_SECRET_MAX_BYTES } from "../../internal/limits.js";
import { CommandError } from "./output.js";
import { canPrompt, readPassword } from "./prompt.js";

export interface SecretSpec {
  /** What the secret is, for messages: "API key", "key", "plaintext". */
  what: string;
  /** How the user passes it another way, for the warning: "-a @FILE or -a -". */
  instead: string;
  /** Warn when a `@FILE` can be read by group or others (key material, API keys). */
  private?: boolean;
}

/** Which source stdin was taken by, so a second `-` is refused rather than read empty. */
let stdinTakenBy: string | undefined;

/** Forgets that stdin was read (tests in one process). */
export function resetStdin(): void {
  stdinTakenBy = undefined;
}

export function warn(message: string): void {
  process.stderr.write(`keyfront: warning: ${message}\n`);
}

/** The bytes of `-`, `@FILE` or a literal argument, with one trailing newline removed. */
export async function readSecretArg(arg: string, spec: SecretSpec): Promise<Buffer> {
  if (arg === "-") {
    // `-` on a terminal: ask without echo rather than read an echoed line until Ctrl-D.
    const typed = stdinTakenBy === undefined ? await promptSecret(spec) : undefined;
    if (typed !== undefined) {
      stdinTakenBy = spec.what;
      return typed;
    }
    return trimNewline(await readStdin(spec.what));
  }
  if (arg.startsWith("@") && arg.length > 1) return trimNewline(readSecretFile(arg.slice(1), spec));
  warn(
    `the ${spec.what} given on the command line shows in the process list and shell history: pass ${spec.instead} instead`,
  );
  return Buffer.from(arg, "utf8");
}

/** Asks for a missing secret on a terminal (no echo); undefined when there is no terminal. */
export async function promptSecret(spec: SecretSpec): Promise<Buffer | undefined> {
  if (!canPrompt()) return undefined;
  return Buffer.from(await readPassword(`Enter ${spec.what}: `), "utf8");
}

async function readStdin(what: string): Promise<Buffer> {
  if (stdinTakenBy !== undefined) {
    throw new CommandError(
      `cannot read the ${what} from stdin: it already holds the ${stdinTakenBy}`,
    );
  }
  stdinTakenBy = what;
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      n += chunk.length;
      chunks.push(chunk);
      if (n > CLI_SECRET_MAX_BYTES) {
        for (const c of chunks) c.fill(0);
        throw new CommandError(`the ${what} on stdin is larger than ${CLI_SECRET_MAX_BYTES} bytes`);
      }
    }
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError(`cannot read the ${what} from stdin (${codeOf(err)})`);
  } finally {
    process.stdin.pause();
  }
  const out = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return out;
}

function readSecretFile(path: string, spec: SecretSpec): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new CommandError(`cannot read the ${spec.what} file '${path}' (${codeOf(err)})`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new CommandError(`the ${spec.what} file '${path}' is not a file`);
    if (spec.private === true && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
      warn(
        `the ${spec.what} file '${path}' can be read by other users (mode ${mode}): chmod 600 it`,
      );
    }
    return readCapped(fd, `the ${spec.what} file '${path}'`);
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError(`cannot read the ${spec.what} file '${path}' (${codeOf(err)})`);
  } finally {
    closeSync(fd);
  }
}

/** Reads a file to its end, refusing more than CLI_SECRET_MAX_BYTES. */
function readCapped(fd: number, what: string): Buffer {
  const buf = Buffer.alloc(CLI_SECRET_MAX_BYTES + 1);
  let n = 0;
  for (;;) {
    const got = readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) break;
    n += got;
    if (n > CLI_SECRET_MAX_BYTES) {
      buf.fill(0);
      throw new CommandError(`${what} is larger than ${CLI_SECRET_MAX_BYTES} bytes`);
    }
  }
  const out = Buffer.from(buf.subarray(0, n));
  buf.fill(0);
  return out;
}

/** Drops one trailing "\n" or "\r\n": what `echo` and editors add. */
function trimNewline(data: Buffer): Buffer {
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end--;
  if (end > 0 && data[end - 1] === 0x0d && end === data.length - 1) end--;
  return data.subarray(0, end);
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
