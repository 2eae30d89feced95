import { describe, expect, test } from "vitest";
import { parseAddress } from "./fields.js";

describe("parseAddress", () => {
  test.each([
    [":7373", "0.0.0.0:7373"],
    ["0.0.0.0:7373", "0.0.0.0:7373"],
    ["127.0.0.1:0", "127.0.0.1:0"],
    ["10.1.2.3:65535", "10.1.2.3:65535"],
    ["[::]:7373", "[::]:7373"],
    ["[::1]:443", "[::1]:443"],
    ["[fe80::1:2]:007", "[fe80::1:2]:7"],
  ])("%j → %j", (text, want) => {
    expect(parseAddress(text)).toBe(want);
  });

  test.each([
    ["7373", "invalid address '7373': missing port"],
    ["localhost:7373", "invalid address 'localhost:7373': host must be an IP address"],
    ["256.0.0.1:1", "invalid address '256.0.0.1:1': host must be an IP address"],
    ["01.2.3.4:1", "invalid address '01.2.3.4:1': host must be an IP address"],
    ["::1:7373", "invalid address '::1:7373': IPv6 host needs brackets"],
    ["[nope]:1", "invalid address '[nope]:1': host must be an IP address"],
    ["1.2.3.4:", "invalid address '1.2.3.4:': invalid port ''"],
    ["1.2.3.4:65536", "invalid address '1.2.3.4:65536': invalid port '65536'"],
    ["1.2.3.4:http", "invalid address '1.2.3.4:http': invalid port 'http'"],
  ])("%j is rejected", (text, message) => {
    expect(() => parseAddress(text)).toThrow(new Error(message));
  });
});
