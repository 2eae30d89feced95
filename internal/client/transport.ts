// HTTPS to one keyfront/KES endpoint: one keep-alive Agent per endpoint carrying the client
// certificate, a timeout per request, and network failures turned into ConnectionError. Answers
// are buffered, or handed over as a live stream for the log endpoints. It must never follow
// redirects, log, or put a body into an error.

import type { IncomingMessage } from "node:http";
import { Agent, request } from "node:https";
import { CLIENT_MAX_RESPONSE_BYTES } from "../limits.js";
import { ConnectionError } from "./errors.js";

export interface TlsOptions {
  /** PEM client certificate and key (an API key's in-memory certificate, or files). */
  certPem: string;
  keyPem: string;
  /** Extra trusted CA certificates (PEM) for the server; default: Node's roots. */
  ca?: string;
  /** Skip server certificate verification (`-k/--insecure`). */
  insecure?: boolean;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  /** The open response of a streaming call that answered 200; body is then empty. */
  stream?: IncomingMessage;
}

export interface SendOptions {
  body?: Buffer;
  signal?: AbortSignal | undefined;
  /** Resolve on 200 headers with the live response instead of reading it. */
  stream?: boolean;
  timeoutMs: number;
}

export class Transport {
  private readonly agents = new Map<string, Agent>();
  private readonly tls: TlsOptions;

  constructor(tls: TlsOptions) {
    this.tls = tls;
  }

  private agentOf(endpoint: string): Agent {
    let agent = this.agents.get(endpoint);
    if (agent === undefined) {
      agent = new Agent({
        keepAlive: true,
        cert: this.tls.certPem,
        key: this.tls.keyPem,
        ...(this.tls.ca === undefined ? {} : { ca: this.tls.ca }),
        rejectUnauthorized: this.tls.insecure !== true,
        minVersion: "TLSv1.2",
      });
      this.agents.set(endpoint, agent);
    }
    return agent;
  }

  /** One request; resolves with any HTTP answer, rejects with ConnectionError or the abort. */
  send(endpoint: string, method: string, path: string, opts: SendOptions): Promise<HttpAnswer> {
    const url = new URL(path, endpoint);
    return new Promise<HttpAnswer>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const fail = (err: unknown) => {
        cleanup();
        if (opts.signal?.aborted) return reject(opts.signal.reason);
        const e = err as NodeJS.ErrnoException;
        reject(new ConnectionError(endpoint, e.code ?? "ERR_NETWORK", e.message));
      };
      const req = request(url, {
        method,
        agent: this.agentOf(endpoint),
        headers: {
          Accept: "application/json",
          ...(opts.body === undefined ? {} : { "Content-Length": String(opts.body.length) }),
        },
      });
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), {
          code: "ETIMEDOUT",
        });
        req.destroy(err);
      }, opts.timeoutMs);
      const onAbort = () => req.destroy(opts.signal?.reason);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      req.on("error", fail);
      req.on("response", (res) => {
        const contentType = String(res.headers["content-type"] ?? "");
        const status = res.statusCode ?? 0;
        if (opts.stream === true && status === 200) {
          cleanup();
          return resolve({ status, contentType, body: Buffer.alloc(0), stream: res });
        }
        readBody(res).then((body) => {
          cleanup();
          resolve({ status, contentType, body });
        }, fail);
      });
      req.end(opts.body);
    });
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > CLIENT_MAX_RESPONSE_BYTES) {
        res.destroy(new Error(`answer larger than ${CLIENT_MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("connection closed mid-answer")));
  });
}
