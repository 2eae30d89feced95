// Helpers of the `keyfront migrate` tests that involve Vault: config files whose keystore is an fs
// dir or a Vault K/V mount (prefix, namespace, v1/v2) of the Vault test server, the real server
// started on a config file exactly as written (for generate/decrypt before and after a migration),
// and raw reads/writes of stored values in KES's layout (one field named after the key, under
// engine/prefix) to compare what was migrated byte for byte. Everything started is stopped by the
// caller (`stop()`, `rm`). It must never print a token.

import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { encodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import { generateKeyVersion } from "../../internal/crypto/key-version.js";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { pick, VaultAdmin, waitFor } from "../keystore/vault/vault-admin.js";
import { startVaultTestServer } from "../vault-server/server.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;

/** What a migrate test file shares: one Vault test server, its root admin, a PKI, a temp dir. */
export interface MigrateEnv {
  vault: TestServer;
  admin: VaultAdmin;
  f: Fixture;
  /** a fresh directory for each test, removed after it */
  dir: string;
}

/** Registers the hooks of a migrate test file; the fields are set once its tests run. */
export function useMigrateEnv(
  options: Parameters<typeof startVaultTestServer>[0],
  tmpPrefix: string,
): MigrateEnv {
  const env = {} as MigrateEnv;
  beforeAll(async () => {
    env.vault = await startVaultTestServer(options);
    env.admin = new VaultAdmin(env.vault.addr, env.vault.rootToken);
    env.f = makeFixture();
  });
  afterAll(async () => {
    await env.vault?.close();
  });
  beforeEach(async () => {
    env.dir = await mkdtemp(join(tmpdir(), tmpPrefix));
  });
  afterEach(async () => {
    await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}

export interface VaultSide {
  addr: string;
  token: string;
  engine: string;
  version: "v1" | "v2";
  prefix?: string;
  namespace?: string;
}

export type Side = { fs: string } | VaultSide;

function keystoreYaml(side: Side): string {
  if ("fs" in side) return `keystore:\n  fs:\n    path: ${JSON.stringify(side.fs)}\n`;
  return [
    "keystore:",
    "  vault:",
    `    endpoint: ${side.addr}`,
    `    engine: ${side.engine}`,
    `    version: ${side.version}`,
    ...(side.prefix ? [`    prefix: ${side.prefix}`] : []),
    ...(side.namespace ? [`    namespace: ${side.namespace}`] : []),
    `    token: ${side.token}`,
    "    status:",
    "      ping: 500ms",
    "",
  ].join("\n");
}

/**
 * Writes a complete server config (the fixture's admin and server certificate, written into
 * `dir`) for `side` and answers its path: the file `migrate` reads is the file the server runs.
 */
export async function writeConfig(dir: string, f: Fixture, name: string, side: Side) {
  const cert = join(dir, "server.crt");
  const key = join(dir, "server.key");
  await writeFile(cert, f.serverCertPem, { mode: 0o600 });
  await writeFile(key, f.serverKeyPem, { mode: 0o600 });
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    `admin:\n  identity: ${f.clients.admin.identity}\ntls:\n  key: ${key}\n  cert: ${cert}\n${keystoreYaml(side)}`,
  );
  return path;
}

/** The real server on a config file as written; resolves once /v1/ready answers 200. */
export async function serveConfig(f: Fixture, configPath: string): Promise<RunningServer> {
  const s = await startServer({ yaml: await readFile(configPath, "utf8"), caPem: f.serverCertPem });
  await waitFor("ready", async () =>
    (await s.request(f.clients.admin, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );
  return s;
}

/** Runs `use` against the real server on a config file, and stops the server afterwards. */
export async function withServerOn<T>(
  f: Fixture,
  configPath: string,
  use: (s: RunningServer) => Promise<T>,
): Promise<T> {
  const s = await serveConfig(f, configPath);
  try {
    return await use(s);
  } finally {
    await s.stop();
  }
}

/** The real server on `config` creates `name` and makes a DEK with it. */
export const dekOn = (f: Fixture, config: string, name: string): Promise<Dek> =>
  withServerOn(f, config, (s) => createWithDek(s, f, name));

/** The real server on `config` decrypts `dek` with `name` and makes a new DEK. */
export const servesOn = (f: Fixture, config: string, name: string, dek: Dek): Promise<void> =>
  withServerOn(f, config, (s) => expectServes(s, f, name, dek));

export interface Dek {
  plaintext: string;
  ciphertext: string;
  context: string;
}

/** Creates `name` through the server and makes one DEK with it. */
export async function createWithDek(s: RunningServer, f: Fixture, name: string): Promise<Dek> {
  const created = await s.request(f.clients.admin, "POST", `/v1/key/create/${name}`);
  expect(created.status, created.body).toBe(200);
  const context = randomBytes(8).toString("base64");
  const gen = await s.request(
    f.clients.admin,
    "POST",
    `/v1/key/generate/${name}`,
    JSON.stringify({ context }),
  );
  expect(gen.status, gen.body).toBe(200);
  return { ...(gen.json() as { plaintext: string; ciphertext: string }), context };
}

/** The DEK decrypts through the server with key `name`, and the key makes and opens a new one. */
export async function expectServes(
  s: RunningServer,
  f: Fixture,
  name: string,
  dek: Dek,
): Promise<void> {
  const body = JSON.stringify({ ciphertext: dek.ciphertext, context: dek.context });
  const dec = await s.request(f.clients.admin, "POST", `/v1/key/decrypt/${name}`, body);
  expect([dec.status, (dec.json() as { plaintext?: string }).plaintext], name).toEqual([
    200,
    dek.plaintext,
  ]);
  const fresh = await s.request(f.clients.admin, "POST", `/v1/key/generate/${name}`, "{}");
  expect(fresh.status, fresh.body).toBe(200);
  const { plaintext, ciphertext } = fresh.json() as { plaintext: string; ciphertext: string };
  const again = await s.request(
    f.clients.admin,
    "POST",
    `/v1/key/decrypt/${name}`,
    JSON.stringify({ ciphertext }),
  );
  expect((again.json() as { plaintext?: string }).plaintext).toBe(plaintext);
}

/** `count` distinct stored values (the HEAD encoding of fresh keys), named `<stem>-NNNNN`. */
export function freshValues(stem: string, count: number): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const kv = generateKeyVersion(i % 2 === 0 ? "AES256" : "ChaCha20", "migrate-test");
    values.set(`${stem}-${String(i).padStart(5, "0")}`, encodeKeyVersion(kv));
  }
  return values;
}

const joinPath = (...parts: (string | undefined)[]) =>
  parts
    .map((p) => (p ?? "").replace(/^\/+|\/+$/g, ""))
    .filter((p) => p !== "")
    .join("/");

/** The admin client of the side's namespace. */
const adminOf = (a: VaultAdmin, side: VaultSide) => (side.namespace ? a.in(side.namespace) : a);

/** Writes a stored value the way KES (and keyfront) lays it out in K/V. */
export async function putRaw(a: VaultAdmin, side: VaultSide, name: string, value: string) {
  const fields = { [name]: value };
  if (side.version === "v2") {
    await adminOf(a, side).call("POST", joinPath(side.engine, "data", side.prefix, name), {
      options: { cas: 0 },
      data: fields,
    });
  } else {
    await adminOf(a, side).call("POST", joinPath(side.engine, side.prefix, name), fields);
  }
}

/** The stored value of `name` exactly as it is in Vault, or undefined when absent. */
export async function getRaw(
  a: VaultAdmin,
  side: VaultSide,
  name: string,
): Promise<string | undefined> {
  const path =
    side.version === "v2"
      ? joinPath(side.engine, "data", side.prefix, name)
      : joinPath(side.engine, side.prefix, name);
  const res = await adminOf(a, side).call("GET", path, undefined, { allow: [404] });
  if (res.status === 404) return undefined;
  const data = side.version === "v2" ? pick(res.body, "data", "data") : pick(res.body, "data");
  const value = (data as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
}

/** Every key name stored under the side's prefix (sorted; [] when none). */
export async function listRaw(a: VaultAdmin, side: VaultSide): Promise<string[]> {
  const path =
    side.version === "v2"
      ? joinPath(side.engine, "metadata", side.prefix)
      : joinPath(side.engine, side.prefix);
  const res = await adminOf(a, side).call("GET", `${path}/?list=true`, undefined, {
    allow: [404],
  });
  if (res.status === 404) return [];
  const keys = pick(res.body, "data", "keys");
  return (Array.isArray(keys) ? (keys as string[]) : []).filter((k) => !k.endsWith("/")).sort();
}

/** Every value of `want` is stored in the side byte for byte, and nothing else is. */
export async function expectStored(a: VaultAdmin, side: VaultSide, want: Map<string, string>) {
  expect(await listRaw(a, side)).toEqual([...want.keys()].sort());
  for (const [name, value] of want) expect(await getRaw(a, side, name), name).toBe(value);
}

/** Every stored value of the side, by name, exactly as Vault holds it. */
export async function readAll(a: VaultAdmin, side: VaultSide): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const name of await listRaw(a, side)) {
    const value = await getRaw(a, side, name);
    if (value === undefined) throw new Error(`'${name}' is listed but has no value`);
    all.set(name, value);
  }
  return all;
}

/**
 * A migration's stderr holds nothing but the one warning the Vault test server earns (it speaks
 * plain http), at most once per side.
 */
export function expectOnlyPlainHttpWarnings(stderr: string): void {
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines.length, stderr).toBeLessThanOrEqual(2);
  for (const line of lines)
    expect(line).toMatch(/^keyfront: --(from|to) \S+: vault: endpoint uses plain http:\/\//);
}
