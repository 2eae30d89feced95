// `keyfront key rewrap <name> [FILE | -] [-o OUT]`: re-seals a stream of ciphertexts under the
// newest version of a key. Input: one line per ciphertext, `<base64-ciphertext>[ <base64-context>]`
// (a space or tab between), from FILE or stdin. Output: the same lines in the same order, each
// ciphertext replaced, to stdout or OUT (written beside it and renamed into place only when every
// line succeeded, so OUT is never half-written). REWRAP_CONCURRENCY requests are in flight; on a
// terminal stderr shows a progress bar, otherwise one count line at the end. The first bad line
// (malformed, or refused by the server) ends the run with exit 1 and an error naming its number;
// stdout then holds every line before it, OUT is left as it was.
// The plaintext never reaches this process: the server rewraps it in place.

import { once } from "node:events";
import type { WriteStream } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { RewrapError, rewrapStream } from "../../internal/client/rewrap-stream.js";
import { REWRAP_MAX_LINE_BYTES, REWRAP_PROGRESS_INTERVAL_MS } from "../../internal/limits.js";
import { tempNameFor } from "./atomic-files.js";
import { explainError, withClient } from "./client-env.js";
import { BASE64, parseKeyArgs } from "./key-args.js";
import { type Line, LineError, openInput, readLines } from "./line-input.js";
import { CommandError, note, UsageError } from "./output.js";

const USAGE = "keyfront key rewrap <name> [FILE | -] [-o OUT]";
const OUT_BATCH_BYTES = 64 << 10;

interface Item {
  line: Line;
  ciphertext: Buffer;
  context?: Buffer;
  /** The context as given, copied to the output line. */
  contextText?: string;
}

function itemOf(line: Line): Item {
  const fields = line.text.trim().split(/[ \t]+/);
  if (fields.length > 2 || fields[0] === "") {
    const what = fields[0] === "" ? "empty line" : `${fields.length} fields`;
    throw new LineError(line.number, `${what}: want '<base64-ciphertext> [<base64-context>]'`);
  }
  const [ct, ctx] = fields as [string, string | undefined];
  if (!BASE64.test(ct)) throw new LineError(line.number, "the ciphertext is not valid base64");
  if (ctx !== undefined && !BASE64.test(ctx)) {
    throw new LineError(line.number, "the context is not valid base64");
  }
  const item: Item = { line, ciphertext: Buffer.from(ct, "base64") };
  if (ctx !== undefined) {
    item.context = Buffer.from(ctx, "base64");
    item.contextText = ctx;
  }
  return item;
}

async function* itemsOf(lines: AsyncIterable<Line>): AsyncGenerator<Item> {
  for await (const line of lines) yield itemOf(line);
}

/** Output lines, written in batches with backpressure; to a temp file renamed at the end. */
class Output {
  private batch = "";
  private failed: Error | undefined;

  private constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly path?: string,
    private readonly temp?: string,
  ) {
    stream.on("error", (err: Error) => {
      this.failed ??= err;
    });
  }

  /** stdout, or a new temp file beside `path` (refused at once when it cannot be created). */
  static async open(path: string | undefined): Promise<Output> {
    if (path === undefined || path === "-") return new Output(process.stdout);
    const temp = tempNameFor(path);
    try {
      const file = await open(temp, "wx", 0o644);
      return new Output(file.createWriteStream(), path, temp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new CommandError(`cannot write '${path}' (${code})`);
    }
  }

  async add(line: string): Promise<void> {
    this.batch += `${line}\n`;
    if (this.batch.length >= OUT_BATCH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.batch === "") return;
    const ok = this.stream.write(this.batch);
    this.batch = "";
    if (!ok) await once(this.stream, "drain");
  }

  async finish(): Promise<void> {
    await this.flush();
    if (this.temp === undefined || this.path === undefined) return;
    const file = this.stream as WriteStream;
    await new Promise<void>((resolve, reject) =>
      file.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    if (this.failed) throw this.failed;
    await rename(this.temp, this.path);
  }

  /** After a failure: stdout gets every line before it; a file is not written at all. */
  async abandon(): Promise<void> {
    if (this.temp === undefined) return this.flush().catch(() => {});
    (this.stream as WriteStream).destroy();
    await unlink(this.temp).catch(() => {});
  }
}

/** A bar on a terminal (by bytes when the input size is known), nothing otherwise. */
function progressBar(size: number | undefined) {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let last = Number.NEGATIVE_INFINITY; // the first line always draws
  const rate = (n: number) => n / Math.max(0.001, (performance.now() - started) / 1000);
  const draw = (line: Line) => {
    const count = `${line.number} lines, ${rate(line.number).toFixed(0)} lines/s`;
    if (size === undefined || size === 0)
      return process.stderr.write(`\r\x1b[2Kkeyfront: rewrapping… ${count}`);
    const share = Math.min(1, line.consumed / size);
    const filled = Math.round(share * 30);
    const bar = `[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${(share * 100).toFixed(0)}%`;
    return process.stderr.write(`\r\x1b[2Kkeyfront: rewrapping ${bar} ${count}`);
  };
  return {
    update(line: Line) {
      const now = performance.now();
      if (!tty || now - last < REWRAP_PROGRESS_INTERVAL_MS) return;
      last = now;
      draw(line);
    },
    /** Clears the bar, so that an error line starts on a clean line. */
    clear() {
      if (tty) process.stderr.write("\r\x1b[2K");
    },
    done(lines: number) {
      this.clear();
      const seconds = (performance.now() - started) / 1000;
      note(
        `rewrapped ${lines} lines in ${seconds.toFixed(2)} s (${rate(lines).toFixed(0)} lines/s)`,
      );
    },
  };
}

export async function rewrap(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, USAGE, 1, 2, {
    output: { type: "string", short: "o" },
  });
  const [name, inPath] = positionals as [string, string | undefined];
  const outPath = (values as { output?: string }).output;
  if ((inPath === undefined || inPath === "-") && process.stdin.isTTY === true) {
    throw new UsageError(`give a FILE of ciphertexts, or pipe them into stdin\nusage: ${USAGE}`);
  }
  const input = await openInput(inPath);
  const out = await Output.open(outPath);
  const progress = progressBar(input.size);
  let lines = 0;
  try {
    await withClient(values, async (client) => {
      const items = itemsOf(readLines(input.stream, REWRAP_MAX_LINE_BYTES));
      try {
        for await (const r of rewrapStream(client, name, items)) {
          const b64 = r.ciphertext.toString("base64");
          await out.add(r.item.contextText === undefined ? b64 : `${b64} ${r.item.contextText}`);
          lines = r.item.line.number;
          progress.update(r.item.line);
        }
        await out.finish();
      } catch (err) {
        throw lineFailure(err, outPath, client.identity);
      }
    });
  } catch (err) {
    progress.clear();
    await out.abandon();
    input.stream.destroy();
    throw err;
  }
  progress.done(lines);
  return 0;
}

/** `line N: what went wrong`, and that OUT was left as it was. */
function lineFailure(err: unknown, outPath: string | undefined, identity: string): Error {
  const kept = outPath === undefined || outPath === "-" ? "" : ` ('${outPath}' not written)`;
  if (err instanceof RewrapError) {
    const cause = err.cause instanceof LineError ? err.cause : explainError(err.cause, identity);
    const text =
      cause instanceof LineError ? cause.message : `line ${err.index + 1}: ${cause.message}`;
    return new CommandError(`${text}${kept}`);
  }
  const e = explainError(err, identity);
  return e instanceof CommandError ? new CommandError(`${e.message}${kept}`) : e;
}
