import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  type DekSource,
  EnvelopeError,
  keyNameOfEnvelope,
  keyVersionOfEnvelope,
  openEnvelope,
  openEnvelopeStream,
  sealEnvelope,
  sealEnvelopeStream,
} from "./envelope.js";
import { ErrDecrypt, KeyfrontError } from "./errors.js";

/** A local stand-in for the server: AES-256-GCM DEK wrapping bound to the context. */
function fakeServer(): DekSource & { generated: number } {
  const master = randomBytes(32);
  const ctxOf = (c?: Uint8Array | string) => Buffer.from(c ?? "");
  const src = {
    generated: 0,
    async generateKey(_name: string, context?: Uint8Array | string) {
      src.generated++;
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", master, iv).setAAD(ctxOf(context));
      const ct = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
      return { plaintext, ciphertext: ct };
    },
    async decrypt(_name: string, ciphertext: Uint8Array, context?: Uint8Array | string) {
      const b = Buffer.from(ciphertext);
      try {
        const d = createDecipheriv("aes-256-gcm", master, b.subarray(0, 12)).setAAD(ctxOf(context));
        d.setAuthTag(b.subarray(b.length - 16));
        return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
      } catch {
        throw new KeyfrontError(ErrDecrypt.status, ErrDecrypt.message);
      }
    },
  };
  return src;
}

async function sealChunked(src: DekSource, data: Buffer, chunk: number, ctx?: string) {
  const parts: Buffer[] = [];
  const input = Readable.from([data.subarray(0, 3), data.subarray(3)]);
  await pipeline(
    input,
    sealEnvelopeStream(src, "my-key", ctx, chunk),
    new Writable({
      write(c, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

async function openStreamed(src: DekSource, env: Buffer, ctx?: string, pieces = 7) {
  const slices: Buffer[] = [];
  for (let i = 0; i < env.length; i += pieces) slices.push(env.subarray(i, i + pieces));
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(slices),
    openEnvelopeStream(src, ctx),
    new Writable({
      write(c, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

const CHUNK = 64;
const TAG = 16;

describe("envelope round trips", () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5])("%i bytes", async (n) => {
    const src = fakeServer();
    const data = randomBytes(n);
    const env = await sealChunked(src, data, CHUNK, "ctx");
    expect(keyNameOfEnvelope(env)).toBe("my-key");
    expect((await openStreamed(src, env, "ctx")).equals(data)).toBe(true);
    expect((await openEnvelope(src, env, "ctx")).equals(data)).toBe(true);
  });

  it("buffers: a fresh DEK per envelope, and the data is not in the clear", async () => {
    const src = fakeServer();
    const data = Buffer.from("attack at dawn, attack at dawn");
    const a = await sealEnvelope(src, "my-key", data);
    const b = await sealEnvelope(src, "my-key", data);
    expect(src.generated).toBe(2);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(data)).toBe(false);
    expect((await openEnvelope(src, a)).equals(data)).toBe(true);
  });
});

describe("envelope failures", () => {
  const data = randomBytes(3 * CHUNK + 10);

  async function sealed() {
    const src = fakeServer();
    const env = await sealChunked(src, data, CHUNK, "ctx");
    const headerLen = env.length - (data.length + 4 * TAG);
    return { src, env, headerLen, frame: CHUNK + TAG };
  }

  it("a wrong context fails at the server (ErrDecrypt)", async () => {
    const { src, env } = await sealed();
    await expect(openEnvelope(src, env, "other")).rejects.toMatchObject({
      status: 400,
      message: ErrDecrypt.message,
    });
    await expect(openEnvelope(src, env)).rejects.toBeInstanceOf(KeyfrontError);
  });

  it.each([
    [
      "truncated at a chunk boundary",
      (e: Buffer, h: number, f: number) => e.subarray(0, h + 2 * f),
    ],
    ["truncated mid-chunk", (e: Buffer, h: number, f: number) => e.subarray(0, h + f + 10)],
    ["last byte cut", (e: Buffer) => e.subarray(0, e.length - 1)],
    ["header only", (e: Buffer, h: number) => e.subarray(0, h)],
    [
      "chunks reordered",
      (e: Buffer, h: number, f: number) =>
        Buffer.concat([
          e.subarray(0, h),
          e.subarray(h + f, h + 2 * f),
          e.subarray(h, h + f),
          e.subarray(h + 2 * f),
        ]),
    ],
    [
      "a bit flipped",
      (e: Buffer, h: number) => {
        const c = Buffer.from(e);
        c[h + 5] = (c[h + 5] as number) ^ 1;
        return c;
      },
    ],
    ["trailing garbage", (e: Buffer) => Buffer.concat([e, Buffer.from([0])])],
  ])("%s fails", async (_name, mutate) => {
    const { src, env, headerLen, frame } = await sealed();
    const bad = mutate(env, headerLen, frame);
    await expect(openStreamed(src, bad, "ctx")).rejects.toBeInstanceOf(EnvelopeError);
  });

  it.each([
    ["not an envelope", Buffer.from("hello world, not an envelope")],
    ["empty", Buffer.alloc(0)],
    ["cut inside the header", Buffer.from("KFEV\x01\x06my-k")],
  ])("%s fails with EnvelopeError", async (_name, bad) => {
    await expect(openEnvelope(fakeServer(), bad)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("a modified header (key name) fails", async () => {
    const { src, env } = await sealed();
    const bad = Buffer.from(env);
    bad[6] = "M".charCodeAt(0); // my-key → My-key: the DEK unwraps (fake server ignores names)
    await expect(openStreamed(src, bad, "ctx")).rejects.toBeInstanceOf(EnvelopeError);
  });
});

/**
 * A stand-in for a keyfront server with key versions: a DEK ciphertext starts with the version
 * byte, a `version` given to decrypt must match it (as the server checks), `rotate` adds one.
 */
function versionedServer() {
  const keys = [randomBytes(32)];
  const seen: (number | undefined)[] = [];
  const src = {
    seen,
    rotate: () => keys.push(randomBytes(32)),
    async generateKey(_name: string, context?: Uint8Array | string) {
      const version = keys.length;
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", keys[version - 1] as Buffer, iv);
      c.setAAD(Buffer.from(context ?? ""));
      const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      return { plaintext, ciphertext: Buffer.concat([Buffer.from([version]), iv, body]), version };
    },
    async decrypt(
      _name: string,
      ciphertext: Uint8Array,
      context?: Uint8Array | string,
      opts?: { version?: number | undefined },
    ) {
      const b = Buffer.from(ciphertext);
      const version = b[0] as number;
      seen.push(opts?.version);
      const key = keys[version - 1];
      if (key === undefined || (opts?.version !== undefined && opts.version !== version)) {
        throw new KeyfrontError(ErrDecrypt.status, ErrDecrypt.message);
      }
      try {
        const d = createDecipheriv("aes-256-gcm", key, b.subarray(1, 13));
        d.setAAD(Buffer.from(context ?? ""));
        d.setAuthTag(b.subarray(b.length - 16));
        return Buffer.concat([d.update(b.subarray(13, b.length - 16)), d.final()]);
      } catch {
        throw new KeyfrontError(ErrDecrypt.status, ErrDecrypt.message);
      }
    },
  };
  return src;
}

describe("envelopes and key versions", () => {
  it("records the key version; envelopes made before and after rotations all open", async () => {
    const src = versionedServer();
    const data = randomBytes(3 * CHUNK + 1);
    const made: Buffer[] = [];
    for (let v = 1; v <= 3; v++) {
      made.push(await sealChunked(src, data, CHUNK, "ctx"));
      src.rotate();
    }
    expect(made.map((e) => keyVersionOfEnvelope(e))).toEqual([1, 2, 3]);
    expect(made.map((e) => e[4])).toEqual([2, 2, 2]);
    for (const env of made) expect((await openEnvelope(src, env, "ctx")).equals(data)).toBe(true);
    expect(src.seen).toEqual([1, 2, 3]);
  });

  it("an envelope of a server that names no version (format 1) still opens, without one", async () => {
    const src = fakeServer();
    const env = await sealEnvelope(src, "my-key", Buffer.from("old"), "ctx");
    expect(env[4]).toBe(1);
    expect(keyVersionOfEnvelope(env)).toBeUndefined();
    expect(keyNameOfEnvelope(env)).toBe("my-key");
    expect((await openEnvelope(src, env, "ctx")).toString()).toBe("old");
  });

  it("a changed key version in the header fails to open", async () => {
    const src = versionedServer();
    src.rotate();
    const env = await sealEnvelope(src, "my-key", Buffer.from("data"), "ctx");
    const at = 6 + "my-key".length;
    expect(env.readUInt32BE(at)).toBe(2);
    const older = Buffer.from(env);
    older.writeUInt32BE(1, at);
    await expect(openEnvelope(src, older, "ctx")).rejects.toMatchObject({
      status: 400,
      message: ErrDecrypt.message,
    });
    const zero = Buffer.from(env);
    zero.writeUInt32BE(0, at);
    await expect(openEnvelope(src, zero, "ctx")).rejects.toBeInstanceOf(EnvelopeError);
  });
});
