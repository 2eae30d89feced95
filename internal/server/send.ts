// Writing an answer: a handler's reply, or a catalogue error as KES's `{"message":…}` body
// (kes-api.md §2.1). Never writes twice: an error after the headers went out destroys the socket.

import type { ServerResponse } from "node:http";
import type { ApiError } from "../errors.js";
import { asciiHeaderValue } from "./header-value.js";
import type { Reply } from "./route.js";

export function sendReply(res: ServerResponse, reply: Reply): void {
  const length = typeof reply.body === "string" ? Buffer.byteLength(reply.body) : reply.body.length;
  // Flat [name, value, …] lists: Node takes them as they are, without walking an object's keys.
  res.writeHead(
    reply.status,
    reply.contentType
      ? ["Content-Length", String(length), "Content-Type", reply.contentType]
      : ["Content-Length", String(length)],
  );
  res.end(reply.body);
}

/** The catalogue's extra headers, reduced to printable ASCII (they may quote client text). */
function errorHeaders(err: ApiError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(err.headers)) out[name] = asciiHeaderValue(value);
  return out;
}

/** The KES error body: `{"message":…\n}` (kes-api.md §2.1). */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `{"message":${JSON.stringify(err.message)}\n}`;
  // A request body we did not read is not drained: the connection closes after this answer.
  if (res.req?.complete === false) res.setHeader("Connection", "close");
  res.writeHead(err.status, {
    ...errorHeaders(err),
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
