// HTTPS to one keyfront/KES endpoint: one keep-alive Agent per endpoint carrying the client
// certificate, bounded waits for the TCP connection, the TLS handshake and the answer
// (phase-timer.ts), and network failures turned into one-line ConnectionErrors (net-errors.ts).
// Answers are buffered, or handed over as a live stream for the log endpoints. It must never follow
// redirects, log, or put a body into an error.

import type { IncomingMessage } from "node:http";
import { Agent, request } from "node:https";
import type { TLSSocket } from "node:tls";
import {
  CLIENT_CONNECT_TIMEOUT_MS,
  CLIENT_MAX_RESPONSE_BYTES,
  CLIENT_TLS_HANDSHAKE_TIMEOUT_MS,
} from "../limits.js";
import { connectionErrorOf, probePlainHttp } from "./net-errors.js";
import { PhaseTimer } from "./phase-timer.js";

export interface TlsOptions {
  /** PEM client certificate and key (an API key's in-memory certificate, or files). */
  certPem: string;
  keyPem: string;
  /** Extra trusted CA certificates (PEM) for the server; default: Node's roots. */
  ca?: string;
  /** Skip server certificate verification (`-k/--insecure`). */
  insecure?: boolean;
  /** Longest wait for the TCP connection, and again for the TLS handshake; default 10 s each. */
  connectTimeoutMs?: number;
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
      const connectMs = this.tls.connectTimeoutMs;
      const bounds = {
        answerMs: opts.timeoutMs,
        connectMs: connectMs ?? CLIENT_CONNECT_TIMEOUT_MS,
        handshakeMs: connectMs ?? CLIENT_TLS_HANDSHAKE_TIMEOUT_MS,
      };
      const phase = new PhaseTimer(bounds, (err) => req.destroy(err));
      const fail = (err: unknown) => {
        const bound = phase.boundMs;
        const at = phase.current;
        cleanup();
        if (opts.signal?.aborted) return reject(opts.signal.reason);
        const e = err as NodeJS.ErrnoException & { reason?: string };
        const code = phase.firedCode ?? e.code;
        const failure = { code, message: String(e.message), reason: e.reason };
        const error = connectionErrorOf(endpoint, failure, at, bound);
        if (error.code !== "ERR_NOT_TLS") return reject(error);
        // Say "plain HTTP" when the port answers it in the clear (one bounded extra connection).
        void probePlainHttp(endpoint, bounds.handshakeMs).then((plain) =>
          reject(connectionErrorOf(endpoint, failure, at, bound, plain)),
        );
      };
      const req = request(url, {
        method,
        agent: this.agentOf(endpoint),
        headers: {
          Accept: "application/json",
          ...(opts.body === undefined ? {} : { "Content-Length": String(opts.body.length) }),
        },
      });
      const onAbort = () => req.destroy(opts.signal?.reason);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        phase.stop();
        opts.signal?.removeEventListener("abort", onAbort);
      };
      req.on("socket", (socket) => phase.watch(socket as TLSSocket));
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
