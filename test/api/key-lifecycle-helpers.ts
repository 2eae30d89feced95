// Shared pieces of the key-lifecycle end-to-end tests (issue 10): the server config (a
// decrypt-only policy beside the admin), a small JSON client over the real mTLS connection, and
// the scenarios that run the same way on the fs keystore and on the Vault test server (K/V v1, v2).

import { expect } from "vitest";
import { type RunningServer, startServer, type TlsClient } from "../helpers/server.js";
import { KES_VECTORS } from "../vectors/kes-vectors.js";
import type { Fixture } from "./fixture.js";

export { KES_VECTORS };

/** The detail header of a key pending deletion. */
export const PENDING = /^key is pending deletion until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** The real server on an fs keystore at `dir` (lifecycleYaml; `extraKeystore` under keystore:). */
export function serveFs(
  f: Fixture,
  dir: string,
  extraKeystore = "",
  extra = "",
): Promise<RunningServer> {
  return startServer({
    yaml: lifecycleYaml(f, `  fs:\n    path: ${dir}\n${extraKeystore}`, extra),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
}

/**
 * The config of the lifecycle tests: the fixture's admin, the ECDSA client allowed only
 * `/v1/key/decrypt/*`, audit on; `keystore` is the YAML of the `keystore:` block's children
 * (indented by 2), `extra` further top-level YAML.
 */
export function lifecycleYaml(f: Fixture, keystore: string, extra = ""): string {
  return `
admin:
  identity: ${f.clients.admin.identity}
tls:
  key: \${DIR}/server.key
  cert: \${DIR}/server.crt
policy:
  decrypt-only:
    allow: [/v1/key/decrypt/*]
    identities: [${f.clients.ecdsa.identity}]
log:
  error: debug
  audit: on
keystore:
${keystore}
${extra}`;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  detail: string | undefined;
  text: string;
}

/** JSON calls to a running server as one client. */
export class Api {
  constructor(
    readonly server: RunningServer,
    readonly client: TlsClient,
  ) {}

  as(client: TlsClient): Api {
    return new Api(this.server, client);
  }

  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const r = await this.server.request(
      this.client,
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const detail = r.headers["x-keyfront-detail"];
    return {
      status: r.status,
      body: r.body === "" ? {} : (JSON.parse(r.body) as Record<string, unknown>),
      detail: typeof detail === "string" ? detail : undefined,
      text: r.body,
    };
  }

  /** Calls and expects 200; returns the JSON body. */
  async ok(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const a = await this.call(method, path, body);
    expect(a.status, `${method} ${path}: ${a.text} ${a.detail ?? ""}`).toBe(200);
    return a.body;
  }

  async rotate(name: string): Promise<number> {
    return (await this.ok("POST", `/v1/key/rotate/${name}`)).version as number;
  }

  async generate(name: string, context = "ctx", version?: string) {
    const b = await this.ok("POST", `/v1/key/generate/${name}`, {
      context: b64(context),
      ...(version === undefined ? {} : { version }),
    });
    return {
      plaintext: b.plaintext as string,
      ciphertext: b.ciphertext as string,
      version: b.version as string,
    };
  }

  decrypt(name: string, ciphertext: string, context = "ctx", version?: string) {
    return this.call("POST", `/v1/key/decrypt/${name}`, {
      ciphertext,
      context: b64(context),
      ...(version === undefined ? {} : { version }),
    });
  }
}

export const b64 = (s: string) => Buffer.from(s).toString("base64");

/** The message a KES client sees, and keyfront's detail header. */
export function expectError(a: Answer, status: number, message: string, detail?: RegExp): void {
  expect([a.status, a.body.message], a.detail).toEqual([status, message]);
  if (detail !== undefined) expect(a.detail).toMatch(detail);
}

/**
 * Generate and decrypt in `workers` loops while the key is rotated `rotations` times: every
 * request must succeed, every DEK must decrypt to its plaintext, and the versions answered must
 * climb to the last rotation. Returns the requests made.
 */
export async function rotateUnderLoad(
  api: Api,
  name: string,
  rotations: number,
  workers = 4,
): Promise<{ requests: number; versions: Set<string> }> {
  const failures: string[] = [];
  const versions = new Set<string>();
  let requests = 0;
  let rotating = true;
  const loop = async () => {
    const made: { plaintext: string; ciphertext: string }[] = [];
    while (rotating || made.length < 3) {
      const g = await api.call("POST", `/v1/key/generate/${name}`, { context: b64("load") });
      requests++;
      if (g.status !== 200) {
        failures.push(`generate ${g.status} ${g.text}`);
        continue;
      }
      versions.add(g.body.version as string);
      made.push({ plaintext: g.body.plaintext as string, ciphertext: g.body.ciphertext as string });
      // decrypt one made earlier (often under an older version) and the new one
      for (const m of [made[Math.floor(made.length / 2)], made.at(-1)]) {
        if (m === undefined) continue;
        const d = await api.decrypt(name, m.ciphertext, "load");
        requests++;
        if (d.status !== 200 || d.body.plaintext !== m.plaintext) {
          failures.push(`decrypt ${d.status} ${d.text}`);
        }
      }
    }
  };
  const running = Array.from({ length: workers }, loop);
  let last = 0;
  for (let i = 0; i < rotations; i++) last = await api.rotate(name);
  // keep the load on until a generate has answered with the last version
  for (let i = 0; i < 1_000 && !versions.has(String(last)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  rotating = false;
  await Promise.all(running);
  expect(failures).toEqual([]);
  expect(versions.has(String(last))).toBe(true);
  return { requests, versions };
}

/** Every KES ciphertext format of the vectors under the key holding the vectors' key bytes. */
export async function expectKesCiphertextsDecrypt(
  api: Api,
  keyOf: (algorithm: string) => string,
): Promise<void> {
  for (const c of KES_VECTORS.legacy_ciphertexts) {
    const a = await api.call("POST", `/v1/key/decrypt/${keyOf(c.algorithm)}`, {
      ciphertext: c.ciphertext,
      context: Buffer.from(c.context, "hex").toString("base64"),
    });
    expect([a.status, a.body.plaintext], `${c.algorithm} ${c.format}`).toEqual([
      200,
      Buffer.from(c.plaintext, "hex").toString("base64"),
    ]);
  }
}
