// The package as a user gets it: `npm pack` of this repository, installed into a fresh temp
// project, whose TypeScript file (the README's client snippet, verbatim) imports `keyfront/client`,
// is type-checked with `tsc --strict` against the shipped declarations and then run with node
// against a real keyfront server over mTLS. Also: the package boundary (deep imports refused),
// the `bin`, and what the tarball must not contain (tests, source maps, keys, certificates).
// Runs on the build `npm test` makes first (pretest); the runtime dependencies are installed from
// npm's cache when it has them (`--prefer-offline`), else from the registry.

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki, type TestPki } from "./helpers/pki.js";
import { ROOT, type RunningServer, requireBuild, startServer } from "./helpers/server.js";

const run = promisify(execFile);
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const STEP_MS = 180_000;

interface PackedFile {
  path: string;
  size: number;
}

let pki: TestPki;
let server: RunningServer;
let dir: string;
let app: string;
let packed: { filename: string; files: PackedFile[]; size: number; unpackedSize: number };

/** Runs a command, resolving with its exit code and output instead of throwing on failure. */
async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  try {
    const r = await run(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: STEP_MS,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The first ```ts block of README's "Client library" section. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const section = readme.indexOf("## Client library");
  expect(section).toBeGreaterThan(-1);
  const m = /```ts\n([\s\S]*?)```\n/.exec(readme.slice(section));
  if (m?.[1] === undefined) throw new Error("README's Client library section has no ```ts block");
  return m[1];
}

beforeAll(async () => {
  requireBuild();
  pki = makeTestPki();
  dir = await mkdtemp(join(tmpdir(), "keyfront-package-"));
  const identity = pki.apiKeyClient.identity;
  server = await startServer({
    yaml: `admin: { identity: ${identity} }\ntls: { key: ${pki.server.keyFile}, cert: ${pki.server.certFile} }\nkeystore: { fs: { path: \${DIR}/keys } }\n`,
    caPem: pki.ca.certPem,
  });
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of concurrent tests; pretest
  // has just run the same build.
  const pack = await sh(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
    ROOT,
  );
  expect(pack.code, pack.stderr).toBe(0);
  const list = JSON.parse(pack.stdout) as (typeof packed)[];
  packed = list[0] as typeof packed;
  app = join(dir, "app");
  await mkdir(app);
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  const typesNode = JSON.parse(
    await readFile(join(ROOT, "node_modules/@types/node/package.json"), "utf8"),
  ) as { version: string };
  const install = await sh(
    "npm",
    [
      "install",
      join(dir, packed.filename),
      `@types/node@${typesNode.version}`,
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
    ],
    app,
  );
  expect(install.code, install.stderr).toBe(0);
}, 2 * STEP_MS);

afterAll(async () => {
  await server?.stop();
  pki?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("ships the CLI and the library with declarations, and no tests, maps, keys or certificates", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/cmd/keyfront/main.js",
        "dist/internal/client/index.js",
        "dist/internal/client/index.d.ts",
        "dist/internal/client/client.d.ts",
      ]),
    );
    const forbidden = paths.filter(
      (p) =>
        /(^|\/)test\//.test(p) ||
        /\.test\.|\.map$|\.tsbuildinfo$|\.ts$/.test(p.replace(/\.d\.ts$/, ".js")) ||
        /\.(pem|crt|cert|key|p12)$/.test(p) ||
        p.startsWith("certs/"),
    );
    expect(forbidden).toEqual([]);
    console.log(
      `package: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`,
    );
  });

  it(
    "the README snippet type-checks with tsc --strict and runs against a real server",
    async () => {
      await writeFile(join(app, "app.ts"), await readmeSnippet());
      // A deep import must not resolve for TypeScript either: the package boundary is `exports`.
      await writeFile(
        join(app, "deep.ts"),
        'import { KeyfrontClient } from "keyfront/dist/internal/client/client.js";\nconsole.log(KeyfrontClient);\n',
      );
      const tsc = await sh(
        process.execPath,
        [TSC, "--strict", "--module", "nodenext", "--target", "es2022", "--types", "node"].concat([
          "--outDir",
          "out",
          "app.ts",
          "deep.ts",
        ]),
        app,
      );
      const errors = tsc.stdout.split("\n").filter((l) => l.trim() !== "");
      expect(errors.filter((l) => !l.startsWith("deep.ts("))).toEqual([]);
      expect(errors.join("\n")).toMatch(/deep\.ts\(1,\d+\): error TS2307/);

      const env = {
        KES_SERVER: `127.0.0.1:${server.port}`,
        KES_API_KEY: pki.apiKeyClient.apiKey,
        NODE_EXTRA_CA_CERTS: pki.ca.certFile,
      };
      const first = await sh(process.execPath, ["out/app.js"], app, env);
      expect(first, first.stderr).toMatchObject({ code: 0, stdout: "secret data\napp-key\n" });
      // The key exists now: the snippet's ErrKeyExists handling is taken and it runs again.
      const again = await sh(process.execPath, ["out/app.js"], app, env);
      expect(again, again.stderr).toMatchObject({ code: 0, stdout: "secret data\napp-key\n" });
      const listed = await server.request(pki.apiKeyClient, "GET", "/v1/key/list/app");
      expect(listed.status).toBe(200);
      expect(listed.body).toContain("app-key");
    },
    2 * STEP_MS,
  );

  it("refuses deep imports and require()s, and serves keyfront/client to both", async () => {
    const probe = `
      const out = [];
      try { await import("keyfront/dist/internal/client/client.js"); out.push("import ok"); }
      catch (e) { out.push(e.code); }
      const { createRequire } = await import("node:module");
      const require = createRequire(import.meta.url);
      try { require("keyfront/dist/internal/limits.js"); out.push("require ok"); }
      catch (e) { out.push(e.code); }
      const m = await import("keyfront/client");
      out.push(typeof m.KeyfrontClient, typeof m.sealEnvelope, typeof m.isError);
      out.push(typeof require("keyfront/client").ConnectionError);
      console.log(out.join(" "));
    `;
    await writeFile(join(app, "probe.mjs"), probe);
    const r = await sh(process.execPath, ["probe.mjs"], app);
    expect(r, r.stderr).toMatchObject({
      code: 0,
      stdout:
        "ERR_PACKAGE_PATH_NOT_EXPORTED ERR_PACKAGE_PATH_NOT_EXPORTED function function function function\n",
    });
  });

  it("installs the keyfront command", async () => {
    const r = await sh(join(app, "node_modules/.bin/keyfront"), ["identity", "new"], app);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^API key:\s+kes:v1:\S+\nIdentity:\s+[0-9a-f]{64}\n$/);
  });
});
