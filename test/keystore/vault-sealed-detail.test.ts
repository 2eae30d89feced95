// While Vault is sealed, EVERY failing key request says why in `X-Keyfront-Detail: Vault is
// sealed` — not only the first one, which learns of the seal from Vault's answer: the later ones
// are refused at once by the session's fail-fast guard and must carry the same state (issue 9).
// The real server over mTLS on the Vault test server; keys were put into Vault directly, so none
// is cached and every request below reaches the keystore.

import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import { generateKeyVersion } from "../../internal/crypto/key-version.js";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let f: Fixture;
let s: RunningServer;
const engine = unique("kv");
const NAMES = ["sealed-0", "sealed-1", "sealed-2", "sealed-3"];

beforeAll(async () => {
  vault = await startVaultTestServer({});
  const admin = new VaultAdmin(vault.addr, vault.rootToken);
  await admin.mountKv(engine, "v2");
  for (const name of NAMES) {
    const value = encodeKeyVersion(generateKeyVersion("AES256", ""));
    await admin.call("POST", `${engine}/data/${name}`, {
      options: { cas: 0 },
      data: { [name]: value },
    });
  }
  f = makeFixture();
  s = await startServer({
    // A long ping: the state the requests see is what they learn themselves, not a poll's.
    yaml: vaultServerYaml(f, { addr: vault.addr, engine, version: "v2", token: vault.rootToken }),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
  await waitFor("ready", async () =>
    (await s.request(f.clients.admin, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );
}, 30_000);
afterAll(async () => {
  await s?.stop();
  await vault?.close();
});

it("every failing request while sealed carries X-Keyfront-Detail: Vault is sealed", async () => {
  vault.faults.seal();
  const requests: [string, string, string?][] = [
    ...NAMES.map((n): [string, string, string] => ["POST", `/v1/key/generate/${n}`, "{}"]),
    ["GET", `/v1/key/describe/${NAMES[0]}`],
    ["POST", "/v1/key/create/sealed-new"],
    ["POST", `/v1/key/generate/${NAMES[1]}`, "{}"],
  ];
  const seen: [string, number, unknown][] = [];
  for (const [method, path, body] of requests) {
    const res = await s.request(f.clients.admin, method, path, body);
    seen.push([path, res.status, res.headers["x-keyfront-detail"]]);
  }
  expect(seen).toEqual(requests.map(([, path]) => [path, 502, "Vault is sealed"]));
  vault.faults.unseal();
  await waitFor("unsealed", async () =>
    (await s.request(f.clients.admin, "POST", `/v1/key/generate/${NAMES[2]}`, "{}")).status === 200
      ? true
      : undefined,
  );
});
