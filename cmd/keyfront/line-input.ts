// Lines of a file or stdin for the streaming commands (`keyfront key rewrap`): split on "\n"
// (a "\r" before it is dropped), each line bounded in bytes, with the count of bytes consumed so
// far for a progress bar. A line over the bound is an error naming its number; nothing is
// buffered beyond one line and one read chunk.

import { type FileHandle, open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { CommandError } from "./output.js";

export interface Line {
  /** 1-based line number. */
  number: number;
  text: string;
  /** Bytes of input consumed up to and including this line. */
  consumed: number;
}

/** An input line that cannot be used: the message names its number. */
export class LineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "LineError";
  }
}

export async function* readLines(input: Readable, maxBytes: number): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  let consumed = 0;
  const lineOf = (tail: Buffer): Line => {
    const bytes = Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    consumed += bytes.length;
    number++;
    const end = bytes.at(-1) === 0x0a ? bytes.length - 1 : bytes.length;
    const cut = end > 0 && bytes[end - 1] === 0x0d ? end - 1 : end;
    return { number, text: bytes.subarray(0, cut).toString("utf8"), consumed };
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      if (pendingBytes + nl - from > maxBytes)
        throw new LineError(number + 1, `longer than ${maxBytes} bytes`);
      yield lineOf(chunk.subarray(from, nl + 1));
      from = nl + 1;
    }
    const rest = chunk.subarray(from);
    pendingBytes += rest.length;
    if (pendingBytes > maxBytes) throw new LineError(number + 1, `longer than ${maxBytes} bytes`);
    if (rest.length > 0) pending.push(Buffer.from(rest));
  }
  if (pendingBytes > 0) yield lineOf(Buffer.alloc(0));
}

/** The input of `path` (`-` or undefined: stdin) and its size when it is a regular file. */
export async function openInput(
  path: string | undefined,
): Promise<{ stream: Readable; size?: number }> {
  if (path === undefined || path === "-") return { stream: process.stdin };
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CommandError(`cannot read '${path}' (${code})`);
  }
  const s = await file.stat();
  if (!s.isFile()) {
    await file.close();
    throw new CommandError(`'${path}' is not a file`);
  }
  return { stream: file.createReadStream(), size: s.size };
}
