// A minimal Vault HTTP client for the test server's own tests: one request over node:http or
// node:https (with the server's CA), no keep-alive, any method (LIST included). Test helper only;
// it must never be used against anything but 127.0.0.1.

import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface VaultReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  caPem?: string;
  /** A client certificate (and its key) to present over TLS. */
  cert?: string;
  key?: string;
}

/** `method` `addr` + `path` (path starts with '/'); JSON-encodes `body` unless it is a string. */
export function call(
  addr: string,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<VaultReply> {
  const url = new URL(path, addr);
  const payload =
    o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token !== undefined) headers["X-Vault-Token"] = o.token;
  if (payload !== undefined) headers["Content-Length"] = String(Buffer.byteLength(payload));
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers,
        agent: false,
        ...(o.caPem ? { ca: o.caPem } : {}),
        ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A client bound to one server and token. */
export function clientFor(addr: string, token?: string, caPem?: string) {
  return (method: string, path: string, o: CallOptions = {}) =>
    call(addr, method, path, {
      ...(token !== undefined ? { token } : {}),
      ...(caPem !== undefined ? { caPem } : {}),
      ...o,
    });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
