// The connection core of KeyfrontClient: credentials (an API key becomes the kes-api.md §5.4
// self-signed certificate in memory), the endpoint pool with the SDK's fail-over (retry.ts), one
// request with its timeout, and non-200 answers as error values (errors.ts). The API calls are
// in client.ts. It must never log, and never put key material, plaintexts or contexts into an
// error.

import { identityOfApiKey } from "../identity/api-key.js";
import { identityOfCertificate } from "../identity/identity.js";
import { CLIENT_REQUEST_TIMEOUT_MS } from "../limits.js";
import { certificateForApiKey } from "../pki/certificate.js";
import { errorOfResponse, KeyfrontError } from "./errors.js";
import { EndpointPool, type RetryOptions } from "./retry.js";
import { type HttpAnswer, Transport } from "./transport.js";
import { firstCertificate, normalizeEndpoint } from "./wire.js";

export interface ClientOptions {
  /** `host:port` or `https://host:port`; several endpoints fail over (kes-api.md §2.2). */
  endpoints: readonly string[];
  /** A `kes:v1:` API key, or… */
  apiKey?: string | undefined;
  /** …a PEM client certificate and its (decrypted) PEM private key. */
  certPem?: string | undefined;
  keyPem?: string | undefined;
  /** Extra trusted CA certificates (PEM) for the server. */
  ca?: string | undefined;
  insecure?: boolean | undefined;
  /** Per request, until the whole answer (a log stream: its headers); default 15 s. */
  timeoutMs?: number | undefined;
  /** Longest wait for the TCP connection, and again for the TLS handshake; default 10 s each. */
  connectTimeoutMs?: number | undefined;
  retry?: RetryOptions | undefined;
}

export interface Call {
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export class ClientBase {
  /** The caller's identity (sha256 of its public key). */
  readonly identity: string;
  private readonly pool: EndpointPool;
  private readonly transport: Transport;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    const hasFiles = opts.certPem !== undefined || opts.keyPem !== undefined;
    if (opts.apiKey !== undefined && hasFiles) {
      throw new Error("give either an API key or a client certificate and key, not both");
    }
    let certPem: string;
    let keyPem: string;
    if (opts.apiKey !== undefined) {
      ({ certPem, keyPem } = certificateForApiKey(opts.apiKey));
      this.identity = identityOfApiKey(opts.apiKey);
    } else if (opts.certPem !== undefined && opts.keyPem !== undefined) {
      certPem = opts.certPem;
      keyPem = opts.keyPem;
      const der = firstCertificate(certPem);
      if (der === undefined) throw new Error("the client certificate holds no PEM CERTIFICATE");
      this.identity = identityOfCertificate(der);
    } else {
      throw new Error("no credentials: give an API key, or a client certificate and key");
    }
    this.pool = new EndpointPool(opts.endpoints.map(normalizeEndpoint), opts.retry ?? {});
    this.transport = new Transport({
      certPem,
      keyPem,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      insecure: opts.insecure === true,
      ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
    });
    this.timeoutMs = opts.timeoutMs ?? CLIENT_REQUEST_TIMEOUT_MS;
  }

  get endpoints(): readonly string[] {
    return this.pool.endpoints;
  }

  /** Sends with fail-over; any status other than 200 becomes a KeyfrontError. */
  protected async call(
    method: string,
    path: string,
    c: Call = {},
    stream = false,
  ): Promise<HttpAnswer & { endpoint: string }> {
    const body = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body));
    let endpoint = "";
    const answer = await this.pool.send((e) => {
      endpoint = e;
      return this.transport.send(e, method, path, {
        ...(body === undefined ? {} : { body }),
        signal: c.signal,
        stream,
        timeoutMs: this.timeoutMs,
      });
    }, c.signal);
    if (answer.status !== 200) {
      if (answer.status < 400) throw new KeyfrontError(answer.status, "unexpected answer");
      throw errorOfResponse(answer.status, answer.contentType, answer.body);
    }
    return { ...answer, endpoint };
  }

  protected async json<D>(method: string, path: string, c: Call = {}): Promise<D> {
    const answer = await this.call(method, path, c);
    try {
      return JSON.parse(answer.body.toString("utf8")) as D;
    } catch {
      throw new KeyfrontError(answer.status, "the server answered with invalid JSON");
    }
  }

  /** Closes pooled connections; the client can still be used afterwards (it reconnects). */
  close(): void {
    this.transport.close();
  }
}
