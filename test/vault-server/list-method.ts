// Lets node:http serve Vault's custom `LIST` verb. Node's HTTP parser rejects unknown methods with
// a 400 before any handler runs, so each accepted socket is wrapped in a Duplex that rewrites a
// request line `LIST /p HTTP/1.1` into `GET /p HTTP/1.1` plus the header `x-vault-test-method:
// LIST`, which the server turns back into `req.method = "LIST"`. Request boundaries are followed
// by Content-Length; after a chunked request body the rest of that connection is passed through
// unchanged (a LIST there gets node's 400). It must never alter request bodies.

import type { Socket } from "node:net";
import { Duplex } from "node:stream";

export const METHOD_HEADER = "x-vault-test-method";
const MAX_HEAD_BYTES = 64 * 1024;

/** Rewrites LIST request lines in a byte stream of HTTP/1.1 requests. */
class RequestFramer {
  private head = Buffer.alloc(0);
  private bodyLeft = 0;
  private passthrough = false;

  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let rest = chunk;
    while (rest.length > 0) {
      if (this.passthrough) return [...out, rest];
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, rest.length);
        out.push(rest.subarray(0, n));
        this.bodyLeft -= n;
        rest = rest.subarray(n);
        continue;
      }
      this.head = Buffer.concat([this.head, rest]);
      rest = Buffer.alloc(0);
      const end = this.head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (this.head.length > MAX_HEAD_BYTES) {
          this.passthrough = true;
          out.push(this.head);
          this.head = Buffer.alloc(0);
        }
        continue;
      }
      const headText = this.head.subarray(0, end + 4).toString("latin1");
      rest = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      out.push(Buffer.from(this.rewrite(headText), "latin1"));
    }
    return out;
  }

  private rewrite(head: string): string {
    if (/\r\ntransfer-encoding:/i.test(head)) this.passthrough = true;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    this.bodyLeft = length ? Number(length[1]) : 0;
    if (!head.startsWith("LIST ")) return head;
    const lineEnd = head.indexOf("\r\n");
    return `GET ${head.slice(5, lineEnd)}\r\n${METHOD_HEADER}: LIST${head.slice(lineEnd)}`;
  }
}

/** A Duplex over `socket` whose readable side has LIST rewritten; hand it to http's 'connection'. */
export function wrapSocket(socket: Socket): Duplex {
  const framer = new RequestFramer();
  const duplex: Duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on("data", (chunk: Buffer) => {
    for (const part of framer.feed(chunk)) if (!duplex.push(part)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  socket.on("error", (err) => duplex.destroy(err));
  const stubs = duplex as Duplex & Record<string, unknown>;
  stubs.setNoDelay = (v?: boolean) => socket.setNoDelay(v);
  stubs.setKeepAlive = (e?: boolean, d?: number) => socket.setKeepAlive(e, d);
  stubs.setTimeout = (ms: number, cb?: () => void) => {
    socket.setTimeout(ms, cb);
    return duplex;
  };
  stubs.remoteAddress = socket.remoteAddress;
  stubs.remotePort = socket.remotePort;
  stubs.encrypted = "encrypted" in socket;
  return duplex;
}
