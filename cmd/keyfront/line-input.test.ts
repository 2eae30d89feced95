import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type Line, LineError, readLines } from "./line-input.js";

async function linesOf(chunks: string[], max = 100): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), max)) {
    out.push(l);
  }
  return out;
}

describe("readLines", () => {
  it.each([
    ["LF", ["a\nbb\n"], ["a", "bb"]],
    ["CRLF", ["a\r\nbb\r\n"], ["a", "bb"]],
    ["no final newline", ["a\nbb"], ["a", "bb"]],
    ["split across chunks", ["a", "b\nc", "c\n", "d"], ["ab", "cc", "d"]],
    ["an empty line is a line", ["a\n\nb\n"], ["a", "", "b"]],
    ["empty input", [], []],
  ])("%s", async (_name, chunks, want) => {
    const lines = await linesOf(chunks);
    expect(lines.map((l) => l.text)).toEqual(want);
    expect(lines.map((l) => l.number)).toEqual(want.map((_, i) => i + 1));
    const total = chunks.join("").length;
    if (lines.length > 0) expect(lines.at(-1)?.consumed).toBe(total);
  });

  it.each([
    ["in one chunk", ["ok\n", `${"x".repeat(11)}\n`]],
    ["across chunks", ["ok\n", "x".repeat(6), "x".repeat(6), "\n"]],
    ["at the end, unterminated", ["ok\n", "x".repeat(11)]],
  ])("a line over the bound is refused with its number (%s)", async (_name, chunks) => {
    const err = await linesOf(chunks, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineError);
    expect((err as LineError).message).toBe("line 2: longer than 10 bytes");
  });

  it("a line of exactly the bound passes", async () => {
    expect((await linesOf([`${"x".repeat(10)}\n`], 10)).map((l) => l.text.length)).toEqual([10]);
  });
});
