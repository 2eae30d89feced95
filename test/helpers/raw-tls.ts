// A raw TLS client for tests that need what node:https hides: session resumption (the session
// the server handed out, whether it was reused), the negotiated protocol, and one HTTP/1.1
// request written by hand on the connection. Every socket it opens is ended or destroyed.

import { type ConnectionOptions, connect, type SecureVersion, type TLSSocket } from "node:tls";

export interface RawTlsOptions {
  readonly port: number;
  readonly caPem: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly version?: SecureVersion;
  readonly session?: Buffer;
  /** OpenSSL option bits for the client (e.g. SSL_OP_NO_TICKET to force session IDs). */
  readonly secureOptions?: number;
}

export interface RawTlsAnswer {
  readonly status: number;
  readonly body: string;
  readonly reused: boolean;
  readonly protocol: string | null;
  /** The last session the server handed out on this connection, if any. */
  readonly session: Buffer | undefined;
}

export interface RawTlsConnection {
  readonly socket: TLSSocket;
  /** The last session the server handed out so far (TLS 1.3 tickets arrive after the handshake). */
  readonly session: () => Buffer | undefined;
}

/** Opens a TLS connection as `opts` says and resolves once the handshake is done. */
export function connectRaw(opts: RawTlsOptions): Promise<RawTlsConnection> {
  const options: ConnectionOptions = {
    host: "127.0.0.1",
    port: opts.port,
    servername: "localhost",
    ca: opts.caPem,
    ...(opts.certPem !== undefined && { cert: opts.certPem, key: opts.keyPem }),
    ...(opts.version !== undefined && { minVersion: opts.version, maxVersion: opts.version }),
    ...(opts.session !== undefined && { session: opts.session }),
    ...(opts.secureOptions !== undefined && { secureOptions: opts.secureOptions }),
  };
  let last: Buffer | undefined;
  return new Promise((resolve, reject) => {
    const socket = connect(options, () => {
      socket.off("error", reject);
      resolve({ socket, session: () => last });
    });
    socket.on("session", (s: Buffer) => {
      last = s;
    });
    socket.once("error", reject);
  });
}

/** One `GET path` with `Connection: close` on a fresh connection; the answer and the session. */
export async function rawGet(opts: RawTlsOptions, path: string): Promise<RawTlsAnswer> {
  const { socket, session } = await connectRaw(opts);
  const reused = socket.isSessionReused();
  const protocol = socket.getProtocol();
  return new Promise((resolve, reject) => {
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      text += c;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      resolve({ status, body, reused, protocol, session: session() });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}
