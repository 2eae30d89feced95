// The environment of the key-lifecycle CLI tests: the real server (fs keystore, a 7-day deletion
// window) on a per-run PKI, the client certificates written as files for the CLI's KES_* variables,
// and an in-process KeyfrontClient for what the tests prepare or check in bulk. Everything it
// starts is stopped by the afterAll it registers.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { KeyfrontClient } from "../../internal/client/client.js";
import { configYaml, type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";

export interface LifecycleEnv {
  f: Fixture;
  server: RunningServer;
  dir: string;
  /** The CLI's environment as the admin, or as the ECDSA app client (policy `app`). */
  admin: Record<string, string>;
  app: Record<string, string>;
  client: KeyfrontClient;
}

/** The fixture's config with `keystore.deletion.window: 7d` on its fs keystore. */
function yamlOf(f: Fixture): string {
  const base = configYaml(f, { cert: "${DIR}/server.crt", key: "${DIR}/server.key" });
  return base.replace(
    "keystore:\n  fs:\n    path: ${DIR}/keys\n",
    "keystore:\n  fs:\n    path: ${DIR}/keys\n  deletion:\n    window: 7d\n",
  );
}

export function useLifecycleEnv(tmpPrefix: string): LifecycleEnv {
  const env = {} as LifecycleEnv;
  beforeAll(async () => {
    env.f = makeFixture();
    const yaml = yamlOf(env.f);
    if (!yaml.includes("window: 7d")) throw new Error("the fixture's keystore block changed");
    env.server = await startServer({
      yaml,
      caPem: env.f.serverCertPem,
      files: { "server.crt": env.f.serverCertPem, "server.key": env.f.serverKeyPem },
      env: { READER_IDENTITY: env.f.clients.apiKey.identity },
    });
    env.dir = await mkdtemp(join(tmpdir(), tmpPrefix));
    for (const [name, c] of Object.entries(env.f.clients)) {
      await writeFile(join(env.dir, `${name}.crt`), c.certPem);
      await writeFile(join(env.dir, `${name}.key`), c.keyPem, { mode: 0o600 });
    }
    await writeFile(join(env.dir, "server.crt"), env.f.serverCertPem);
    const as = (who: string) => ({
      KES_SERVER: env.server.url.replace("https://", ""),
      KES_CLIENT_CERT: join(env.dir, `${who}.crt`),
      KES_CLIENT_KEY: join(env.dir, `${who}.key`),
      NODE_EXTRA_CA_CERTS: join(env.dir, "server.crt"),
    });
    env.admin = as("admin");
    env.app = as("ecdsa");
    env.client = new KeyfrontClient({
      endpoints: [env.server.url],
      certPem: env.f.clients.admin.certPem,
      keyPem: env.f.clients.admin.keyPem,
      ca: env.f.serverCertPem,
    });
  });
  afterAll(async () => {
    env.client?.close();
    await env.server?.stop();
    if (env.dir) await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}
