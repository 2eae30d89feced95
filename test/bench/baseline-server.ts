// The benchmark baseline: a bare node:https server with keyfront's TLS settings doing the same
// per-request work as keyfront's hot path — identity of the connection (once per connection),
// policy decision, bounded body read, JSON + base64 decoding, the same crypto — and nothing else:
// no router, no logging, no metrics, no keystore (keys live in a Map). Started as a child
// process: node dist/test/bench/baseline-server.js <config.json>; prints "listening <port>".

import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { decrypt, encrypt } from "../../internal/crypto/aead.js";
import { generateKeyVersion, type KeyVersion } from "../../internal/crypto/key-version.js";
import { randomKey } from "../../internal/crypto/random.js";
import { identityOfPeerLeaf } from "../../internal/identity/identity.js";
import { PolicySet } from "../../internal/policy/policy.js";

const cfg = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as {
  cert: string;
  key: string;
  client: string;
};
const policies = new PolicySet("disabled", [
  { name: "bench", allow: ["/v1/key/*"], deny: [], identities: [cfg.client] },
]);
const keys = new Map<string, KeyVersion>();
const ID = Symbol("id");
type Sock = TLSSocket & { [ID]?: string };

function identity(sock: Sock): string {
  if (sock[ID] !== undefined) return sock[ID];
  const raw = sock.getPeerCertificate(true)?.raw;
  const id = raw ? identityOfPeerLeaf(raw) : { error: "none" as const };
  sock[ID] = "identity" in id ? id.identity : "";
  return sock[ID];
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) reject(new Error("too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const b64 = (v: unknown) => (typeof v === "string" ? Buffer.from(v, "base64") : Buffer.alloc(0));

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "").split("?")[0] as string;
  if (!policies.allows(identity(req.socket as Sock), path))
    return send(res, 403, '{"message":"not authorized"}\n');
  const [, , , op, name = ""] = path.split("/");
  if (op === "create") {
    keys.set(name, generateKeyVersion("AES256", cfg.client));
    return send(res, 200, "");
  }
  const kv = keys.get(name);
  if (!kv) return send(res, 404, '{"message":"key does not exist"}\n');
  const body = JSON.parse((await readBody(req)).toString() || "{}") as Record<string, unknown>;
  const context = b64(body.context);
  if (op === "generate") {
    const dek = randomKey();
    return send(
      res,
      200,
      `${JSON.stringify({ plaintext: dek.toString("base64"), ciphertext: encrypt(kv, dek, context).toString("base64") })}\n`,
    );
  }
  if (op === "encrypt")
    return send(
      res,
      200,
      `${JSON.stringify({ ciphertext: encrypt(kv, b64(body.plaintext), context).toString("base64") })}\n`,
    );
  if (op === "decrypt")
    return send(
      res,
      200,
      `${JSON.stringify({ plaintext: decrypt(kv, b64(body.ciphertext), context).toString("base64") })}\n`,
    );
  send(res, 404, "");
}

const server = createServer(
  {
    cert: readFileSync(cfg.cert),
    key: readFileSync(cfg.key),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    keepAliveTimeout: 90_000,
  },
  (req, res) => {
    handle(req, res).catch(() => send(res, 400, '{"message":"bad request"}\n'));
  },
);
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
