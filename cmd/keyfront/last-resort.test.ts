// The last-resort handlers on a stand-in process: a rejection is logged and nothing else happens;
// the first uncaught exception is logged and starts the fatal path once; a failing fatal path
// ends the process at once. (test/api/survival.test.ts drives the real server into both.)
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { LogHub } from "../../internal/log/hub.js";
import { createErrorLogger } from "../../internal/log/logger.js";
import { installLastResort } from "./last-resort.js";

function setup(onFatal: () => void) {
  const lines: string[] = [];
  const log = createErrorLogger({
    level: 0,
    hub: new LogHub(),
    destination: { write: (l: string) => void lines.push(l) },
  });
  const proc = new EventEmitter();
  const exits: number[] = [];
  const uninstall = installLastResort(log, onFatal, proc, (c) => void exits.push(c));
  return { lines, proc, exits, uninstall };
}

describe("installLastResort", () => {
  it("logs an unhandled rejection and keeps going", () => {
    let fatal = 0;
    const t = setup(() => void fatal++);
    t.proc.emit("unhandledRejection", new Error("nobody awaited me"));
    t.proc.emit("unhandledRejection", "a string");
    expect(fatal).toBe(0);
    expect(t.exits).toEqual([]);
    expect(t.lines).toHaveLength(2);
    expect(JSON.parse(t.lines[0] ?? "")).toMatchObject({
      level: 50,
      msg: "unhandled promise rejection; the server keeps serving",
      err: { name: "Error", message: "nobody awaited me" },
    });
    expect(JSON.parse(t.lines[1] ?? "").err.message).toBe("a non-Error value was thrown");
    t.uninstall();
    expect(t.proc.listenerCount("unhandledRejection")).toBe(0);
  });

  it("starts the fatal path once on an uncaught exception", () => {
    let fatal = 0;
    const t = setup(() => void fatal++);
    t.proc.emit("uncaughtException", new Error("boom"));
    t.proc.emit("uncaughtException", new Error("again"));
    expect(fatal).toBe(1);
    expect(t.lines.map((l) => JSON.parse(l).msg)).toEqual([
      "uncaught exception; draining and exiting",
      "uncaught exception; draining and exiting",
    ]);
    t.uninstall();
  });

  it("exits at once when the fatal path itself throws", () => {
    const t = setup(() => {
      throw new Error("cannot drain");
    });
    t.proc.emit("uncaughtException", new Error("boom"));
    expect(t.exits).toEqual([1]);
    t.uninstall();
  });
});
