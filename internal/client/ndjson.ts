// The live log streams of the client (kes-api.md §3.9): one JSON document per line of an open
// HTTP answer, until the answer ends or `signal` aborts (then quietly). It always destroys the
// answer when the iteration stops, so no socket is left open.

import type { IncomingMessage } from "node:http";
import { StringDecoder } from "node:string_decoder";

export async function* readNdjson<E>(
  res: IncomingMessage,
  signal?: AbortSignal,
): AsyncGenerator<E> {
  const onAbort = () => res.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const decoder = new StringDecoder("utf8");
    let pending = "";
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const lines = (pending + decoder.write(chunk)).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() !== "") yield JSON.parse(line) as E;
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    res.destroy();
  }
}
