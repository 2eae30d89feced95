// `keyfront identity …` offline, and the operator flow of README: identity new → a server with
// that API key's identity as admin → key create → key dek → key decrypt; plus certificate files
// written by `identity new` (optionally encrypted) used as client credentials.

import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki } from "../helpers/pki.js";
import { startServer } from "../helpers/server.js";
import { expectOneLine, kf } from "./cli-helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-identity-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("identity of: kes-api.md §5.4 vectors", () => {
  it.each([
    [
      "kes:v1:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc",
      "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22",
    ],
    [
      "kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw",
      "0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb",
    ],
    [
      "AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc",
      "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22",
    ],
  ])("%s", async (apiKey, identity) => {
    const r = await kf(["identity", "of", apiKey]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${identity}\n`, ""]);
    expect(JSON.parse((await kf(["identity", "of", apiKey, "--json"])).stdout)).toEqual({
      identity,
    });
    expect((await kf(["identity", apiKey])).stdout).toBe(`${identity}\n`);
  });

  it.each([
    ["kes:v1:AAAA"],
    ["kes:v1:AT9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc"],
    ["/no/such/file"],
  ])("rejects %s in one line", async (arg) => {
    const r = await kf(["identity", "of", arg]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
  });
});

describe("identity of a CA-flagged certificate", () => {
  it("prints the identity and says on stderr that no server will accept it", async () => {
    const pki = makeTestPki();
    try {
      for (const cert of [pki.caFlaggedClient.certFile, pki.ca.certFile]) {
        const r = await kf(["identity", "of", cert]);
        expect([r.code, r.stdout]).toEqual([0, `${identityOfFile(pki, cert)}\n`]);
        expectOneLine(r.stderr);
        expect(r.stderr).toMatch(/^keyfront: warning: '.*' is a CA certificate .*never accepts it/);
        expect((await kf(["identity", cert])).stderr).toBe(r.stderr);
      }
      const leaf = await kf(["identity", "of", pki.clients["ecdsa-p256"].certFile]);
      expect([leaf.code, leaf.stdout, leaf.stderr]).toEqual([
        0,
        `${pki.clients["ecdsa-p256"].identity}\n`,
        "",
      ]);
    } finally {
      pki.cleanup();
    }
  });
});

function identityOfFile(pki: ReturnType<typeof makeTestPki>, file: string): string {
  return file === pki.ca.certFile ? pki.ca.identity : pki.caFlaggedClient.identity;
}

describe("identity and identity new", () => {
  it("identity prints a fresh API key (bare on a pipe)", async () => {
    const r = await kf(["identity"]);
    expect(r.stdout).toMatch(/^kes:v1:[A-Za-z0-9+/]{44}\n$/);
    const apiKey = r.stdout.trim();
    const of = await kf(["identity", "of", apiKey]);
    const j = JSON.parse((await kf(["identity", "--json"])).stdout) as Record<string, string>;
    expect(j.api_key).not.toBe(apiKey);
    expect(of.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("writes a key (0600) and a certificate with the §11.4 properties", async () => {
    const key = join(dir, "a.key");
    const cert = join(dir, "a.crt");
    const r = await kf([
      "identity",
      "new",
      "my-app",
      "--key",
      key,
      "--cert",
      cert,
      "--ip",
      "10.0.0.1",
      "--dns",
      "app.local",
      "--expiry",
      "48h",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { api_key: string; identity: string };
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const x = new X509Certificate(await readFile(cert));
    expect(x.subject).toBe("CN=my-app");
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe("DNS:app.local, IP Address:10.0.0.1");
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    const hours = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 3_600_000;
    expect(hours).toBeCloseTo(48, 0);
    expect((await kf(["identity", "of", cert])).stdout.trim()).toBe(out.identity);
    expect((await kf(["identity", key])).stdout.trim()).toBe(out.api_key);
    const again = await kf(["identity", "new", "--key", key, "--cert", cert]);
    expect(again.code).toBe(1);
    expect(expectOneLine(again.stderr)).toMatch(/already exists: use -f\/--force/);
    expect((await kf(["identity", "new", "--key", key, "--cert", cert, "-f"])).code).toBe(0);
  });

  it.each([
    [["identity", "new", "--ip", "10.0.0.1"]],
    [["identity", "new", "--key", "only.key"]],
    [["identity", "new", "--key", "k", "--cert", "c", "--expiry", "soon"]],
    [["identity", "new", "a", "b"]],
  ])("usage error %j exits 2", async (args) => {
    expect((await kf(args, {}, dir)).code).toBe(2);
  });
});

describe("the operator flow of README", () => {
  it("identity new → server with it as admin → key create → key dek → key decrypt", async () => {
    // README's steps: a server certificate and an admin API key, both from `identity new`.
    const sk = join(dir, "server.key");
    const sc = join(dir, "server.crt");
    const tlsArgs = ["--key", sk, "--cert", sc, "--ip", "127.0.0.1", "--dns", "localhost"];
    expect((await kf(["identity", "new", "localhost", ...tlsArgs])).code).toBe(0);
    const created = await kf(["identity", "new", "--json"]);
    const { api_key: apiKey, identity } = JSON.parse(created.stdout) as Record<string, string>;
    const server = await startServer({
      yaml: `admin: { identity: ${identity} }\ntls: { key: ${sk}, cert: ${sc} }\nkeystore: { fs: { path: \${DIR}/keys } }\n`,
      caPem: await readFile(sc, "utf8"),
    });
    try {
      const env = { KES_SERVER: server.url, KES_API_KEY: apiKey as string };
      expect((await kf(["key", "create", "my-key", "-k"], env)).code).toBe(0);
      const dek = JSON.parse((await kf(["key", "dek", "my-key", "-k"], env)).stdout) as Record<
        string,
        string
      >;
      const dec = await kf(["key", "decrypt", "my-key", dek.ciphertext as string, "-k"], env);
      expect(JSON.parse(dec.stdout)).toEqual({ plaintext: dek.plaintext });
      // The same identity from files, with an encrypted private key.
      const key = join(dir, "enc.key");
      const cert = join(dir, "enc.crt");
      const files = await kf(["identity", "new", "--key", key, "--cert", cert, "--encrypt"], {
        KES_CLIENT_KEY_PASSWORD: "s3cret",
      });
      expect(files.code).toBe(0);
      expect(await readFile(key, "utf8")).toContain("Proc-Type: 4,ENCRYPTED");
      const fileId = (await kf(["identity", "of", cert])).stdout.trim();
      const certEnv = { KES_SERVER: server.url, KES_CLIENT_CERT: cert, KES_CLIENT_KEY: key };
      const self = await kf(["identity", "info", "--json", "-k"], certEnv);
      expect(self.code).toBe(1);
      expect(expectOneLine(self.stderr)).toMatch(/is encrypted: set KES_CLIENT_KEY_PASSWORD/);
      const wrong = await kf(["identity", "info", "-k"], {
        ...certEnv,
        KES_CLIENT_KEY_PASSWORD: "nope",
      });
      expect(expectOneLine(wrong.stderr)).toMatch(/wrong password/);
      const ok = await kf(["identity", "info", "--json", "-k"], {
        ...certEnv,
        KES_CLIENT_KEY_PASSWORD: "s3cret",
      });
      expect(ok.code).toBe(1); // a stranger to this server: not the admin
      expect(expectOneLine(ok.stderr)).toBe("keyfront: identity does not exist");
      expect(fileId).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await server.stop();
    }
  });
});
