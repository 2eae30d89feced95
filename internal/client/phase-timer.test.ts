// The phases of one request with a fake socket and fake timers: the TCP connect bound (a
// black-holed address cannot be made on 127.0.0.1), then the handshake bound, none for a reused
// connection, and nothing left running once stopped (an open log stream is never timed).

import { EventEmitter } from "node:events";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Bounds, PhaseTimer } from "./phase-timer.js";

const bounds: Bounds = { answerMs: 15_000, connectMs: 1_000, handshakeMs: 2_000 };

function fakeSocket(connecting: boolean): TLSSocket {
  return Object.assign(new EventEmitter(), { connecting }) as unknown as TLSSocket;
}

function timer() {
  const fired: string[] = [];
  const t = new PhaseTimer(bounds, (err) => fired.push((err as NodeJS.ErrnoException).code ?? ""));
  return { t, fired };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("PhaseTimer", () => {
  it("bounds the TCP connect", () => {
    const { t, fired } = timer();
    t.watch(fakeSocket(true));
    expect(t.current).toBe("connect");
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["ERR_CONNECT_TIMEOUT"]);
    expect(t.boundMs).toBe(1_000);
    t.stop();
  });

  it("then bounds the TLS handshake on its own clock", () => {
    const { t, fired } = timer();
    const s = fakeSocket(true);
    t.watch(s);
    vi.advanceTimersByTime(900);
    s.emit("connect");
    expect(t.current).toBe("handshake");
    vi.advanceTimersByTime(1_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["ERR_TLS_HANDSHAKE_TIMEOUT"]);
    expect(t.boundMs).toBe(2_000);
    t.stop();
  });

  it("leaves only the request bound after the handshake, and none on a reused socket", () => {
    const { t, fired } = timer();
    const s = fakeSocket(true);
    t.watch(s);
    s.emit("connect");
    s.emit("secureConnect");
    expect(t.current).toBe("request");
    vi.advanceTimersByTime(14_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["ETIMEDOUT"]);
    t.stop();
    const again = timer();
    again.t.watch(s); // the same socket, reused by keep-alive: already secured
    expect(again.t.current).toBe("request");
    vi.advanceTimersByTime(14_999);
    expect(again.fired).toEqual([]);
    again.t.stop();
  });

  it("fires nothing once stopped (a stream's open body is not timed)", () => {
    const { t, fired } = timer();
    const s = fakeSocket(true);
    t.watch(s);
    t.stop();
    s.emit("connect");
    vi.advanceTimersByTime(10 * bounds.answerMs);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
