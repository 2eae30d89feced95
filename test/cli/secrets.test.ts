// Secrets on the CLI's command line (kes-api.md §11.3, §11.4): an API key, imported key material
// and a plaintext can come from stdin (`-`) or a file (`@FILE`), so they never show in `ps`; a
// literal one still works (KES syntax) but warns; a missing one is asked for on a terminal, without
// echo. The real CLI runs as a subprocess against a real server over mTLS.

import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt } from "../../internal/crypto/aead.js";
import { importKeyVersion } from "../../internal/crypto/key-version.js";
import { generateApiKey, identityOfApiKey } from "../../internal/identity/api-key.js";
import { selfSignedServer } from "../../internal/pki/self-signed.js";
import { CLI, ROOT, type RunningServer, runCli, startServer } from "../helpers/server.js";
import { cleanEnv } from "./cli-helpers.js";

const apiKey = generateApiKey();
let server: RunningServer;
let dir: string;
let base: Record<string, string>;

beforeAll(async () => {
  const tls = selfSignedServer();
  server = await startServer({
    yaml: `admin: { identity: ${identityOfApiKey(apiKey)} }\ntls: { key: \${DIR}/s.key, cert: \${DIR}/s.crt }\nkeystore: { fs: { path: \${DIR}/keys } }\n`,
    caPem: tls.certPem,
    files: { "s.crt": tls.certPem, "s.key": tls.keyPem },
  });
  dir = await mkdtemp(join(tmpdir(), "keyfront-secrets-"));
  await writeFile(join(dir, "server.crt"), tls.certPem);
  base = {
    KES_SERVER: server.url.replace("https://", ""),
    NODE_EXTRA_CA_CERTS: join(dir, "server.crt"),
  };
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI with `input` on its stdin (a pipe), or stdin closed. */
function kfIn(args: string[], env: Record<string, string>, input?: string | Buffer) {
  return runCli(args, { env: cleanEnv(env), input: input ?? null });
}

async function secretFile(name: string, content: string | Buffer, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  return path;
}

const WARN_PS = "shows in the process list";

describe("the API key: -a -, -a @FILE, KES_API_KEY=@FILE, literal -a warns", () => {
  it("-a @FILE (0600, trailing newline) works without a warning", async () => {
    const file = await secretFile("api.key", `${apiKey}\n`);
    const r = await kfIn(["key", "create", "from-file", "-a", `@${file}`], base);
    expect([r.code, r.stderr]).toEqual([0, ""]);
  });

  it("-a - reads stdin", async () => {
    const r = await kfIn(["key", "create", "from-stdin", "-a", "-"], base, `${apiKey}\n`);
    expect([r.code, r.stderr]).toEqual([0, ""]);
  });

  it("KES_API_KEY=@FILE works; a file others can read warns", async () => {
    const file = await secretFile("api-open.key", apiKey, 0o644);
    const r = await kfIn(["key", "create", "from-env-file"], { ...base, KES_API_KEY: `@${file}` });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `keyfront: warning: the API key file '${file}' can be read by other users (mode 0644): chmod 600 it\n`,
    );
  });

  it("-a with the key itself works, warns about ps, and never prints the key", async () => {
    const r = await kfIn(["key", "create", "literal", "-a", apiKey], base);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "keyfront: warning: the API key given on the command line shows in the process list and shell history: pass -a @FILE or -a - (stdin), or set KES_API_KEY instead\n",
    );
    expect(r.stderr).not.toContain(apiKey.slice(7));
  });

  it("a missing file and an empty stdin are one-line errors", async () => {
    const missing = await kfIn(["key", "create", "x", "-a", `@${join(dir, "nope")}`], base);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      `keyfront: cannot read the API key file '${join(dir, "nope")}' (ENOENT)\n`,
    ]);
    const empty = await kfIn(["key", "create", "x", "-a", "-"], base, "\n");
    expect([empty.code, empty.stderr]).toEqual([1, "keyfront: the API key is empty\n"]);
  });

  it("without a terminal and without credentials it says what to set", async () => {
    const r = await kfIn(["key", "create", "x"], base);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no API key specified");
  });
});

/** Decrypts a ciphertext of the server with the raw key bytes: proves which key was imported. */
function openWith(key: Buffer, ciphertextB64: string): string {
  const kv = importKeyVersion(key, "AES256", "");
  return decrypt(kv, Buffer.from(ciphertextB64, "base64"), Buffer.alloc(0)).toString();
}

async function encryptWith(name: string, message: string): Promise<string> {
  const env = { ...base, KES_API_KEY: apiKey };
  const r = await kfIn(["key", "encrypt", name, "-"], env, message);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return (JSON.parse(r.stdout) as { ciphertext: string }).ciphertext;
}

describe("key import <name> [KEY | @FILE | -]", () => {
  const env = () => ({ ...base, KES_API_KEY: apiKey });

  it.each([
    ["@FILE", "file"],
    ["-", "stdin"],
  ])(
    "imports the key from %s: the server then encrypts with exactly those bytes",
    async (_, how) => {
      const key = randomBytes(32);
      const name = `imp-${how}`;
      const args = ["key", "import", name];
      const r =
        how === "file"
          ? await kfIn(
              [...args, `@${await secretFile(`${name}.b64`, `${key.toString("base64")}\n`)}`],
              env(),
            )
          : await kfIn([...args, "-"], env(), `${key.toString("base64")}\n`);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(openWith(key, await encryptWith(name, "sealed"))).toBe("sealed");
    },
  );

  it("a literal key still works (KES syntax) and warns", async () => {
    const key = randomBytes(32);
    const r = await kfIn(["key", "import", "imp-literal", key.toString("base64")], env());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "keyfront: warning: the key given on the command line shows in the process list and shell history: pass @FILE or - (stdin) instead\n",
    );
    expect(openWith(key, await encryptWith("imp-literal", "x"))).toBe("x");
  });

  it("bad key material is refused without quoting any of it", async () => {
    const secret = `${randomBytes(24).toString("base64")}!!`;
    const file = await secretFile("bad.b64", secret);
    const r = await kfIn(["key", "import", "imp-bad", `@${file}`], env());
    expect([r.code, r.stderr]).toEqual([2, "keyfront: the key is not valid base64\n"]);
    const short = await kfIn(
      ["key", "import", "imp-short", "-"],
      env(),
      randomBytes(31).toString("base64"),
    );
    expect([short.code, short.stderr]).toEqual([2, "keyfront: the key must be 32 bytes, not 31\n"]);
  });

  it("stdin is read once: -a - and a key from - together are refused", async () => {
    const key = randomBytes(32).toString("base64");
    const r = await kfIn(["key", "import", "imp-twice", "-", "-a", "-"], base, key);
    expect([r.code, r.stderr]).toEqual([
      1,
      "keyfront: cannot read the API key from stdin: it already holds the key\n",
    ]);
  });

  it("a missing key without a terminal is a usage error", async () => {
    const r = await kfIn(["key", "import", "imp-none"], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing the key: give it, @FILE or - (stdin)");
  });
});

describe("key encrypt <name> [TEXT | @FILE | -]", () => {
  const env = () => ({ ...base, KES_API_KEY: apiKey });
  const key = randomBytes(32);

  beforeAll(async () => {
    const r = await kfIn(["key", "import", "enc", "-"], env(), key.toString("base64"));
    expect(r.code).toBe(0);
  });

  it("reads the plaintext from stdin and from a file (one trailing newline dropped)", async () => {
    expect(openWith(key, await encryptWith("enc", "from stdin\n"))).toBe("from stdin");
    const file = await secretFile("msg.txt", "two lines\nhere\n\n", 0o644);
    const r = await kfIn(["key", "encrypt", "enc", `@${file}`], env());
    expect([r.code, r.stderr]).toEqual([0, ""]); // a plaintext file is not checked for its mode
    const ct = (JSON.parse(r.stdout) as { ciphertext: string }).ciphertext;
    expect(openWith(key, ct)).toBe("two lines\nhere\n");
  });

  it("a literal plaintext still works and warns", async () => {
    const r = await kfIn(["key", "encrypt", "enc", "hello"], env());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `keyfront: warning: the plaintext given on the command line ${WARN_PS}`,
    );
    const ct = (JSON.parse(r.stdout) as { ciphertext: string }).ciphertext;
    expect(openWith(key, ct)).toBe("hello");
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`) and answers each prompt in turn, only
 * once it is shown: typed before raw mode, the terminal itself would echo the answer.
 */
function kfOnTerminal(
  args: string[],
  env: Record<string, string>,
  answers: string[],
): Promise<string> {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const cmd = [process.execPath, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-q", "-e", "-c", cmd, "/dev/null"], {
      cwd: ROOT,
      env: { ...process.env, ...cleanEnv(env) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let asked = 0;
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const prompts = out.split("Enter ").length - 1;
      while (asked < prompts && asked < answers.length) proc.stdin.write(`${answers[asked++]}\r`);
    });
    proc.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`no answer on the terminal:\n${out}`));
    }, 20_000);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}:\n${out}`));
    });
  });
}

describe("on a terminal a missing secret is asked for without echo", () => {
  it("script(1) is there to give the CLI a terminal", () => {
    expect(execFileSync("script", ["--version"]).toString()).toContain("script");
  });

  it("key encrypt asks for the plaintext, then for the API key; neither is echoed", async () => {
    const key = randomBytes(32);
    const imp = await kfIn(
      ["key", "import", "tty-key", "-"],
      { ...base, KES_API_KEY: apiKey },
      key.toString("base64"),
    );
    expect(imp.code).toBe(0);
    const out = await kfOnTerminal(["key", "encrypt", "tty-key"], base, ["typed secret", apiKey]);
    expect(out).toContain("Enter plaintext: ");
    expect(out).toContain("Enter API key: ");
    expect(out).not.toContain("typed secret");
    expect(out).not.toContain(apiKey.slice(7));
    const ct = /ciphertext: (\S+)/.exec(out)?.[1];
    expect(openWith(key, ct ?? "")).toBe("typed secret");
  });

  it("`-a -` on a terminal asks without echo instead of reading an echoed line", async () => {
    const out = await kfOnTerminal(["key", "create", "tty-dash", "-a", "-"], base, [apiKey]);
    expect(out).toContain("Enter API key: ");
    expect(out).not.toContain(apiKey.slice(7));
    const r = await kfIn(["key", "info", "tty-dash", "--json"], { ...base, KES_API_KEY: apiKey });
    expect(r.code).toBe(0);
  });

  it("key import asks for the key", async () => {
    const key = randomBytes(32);
    const env = { ...base, KES_API_KEY: apiKey };
    const out = await kfOnTerminal(["key", "import", "tty-imp"], env, [key.toString("base64")]);
    expect(out).toContain("Enter key: ");
    expect(out).not.toContain(key.toString("base64"));
    expect(openWith(key, await encryptWith("tty-imp", "typed key"))).toBe("typed key");
  });
});
