// One line per network failure, naming the endpoint as the operator wrote it, and whether a retry
// on the same endpoint can help. The socket-level cases run for real in transport.test.ts; these
// are the ones 127.0.0.1 cannot produce (DNS, routing) and OpenSSL's multi-line text.

import { describe, expect, it } from "vitest";
import { connectionErrorOf, hostPort } from "./net-errors.js";

const E = "https://kes.example:7373";

describe("connectionErrorOf", () => {
  it.each([
    [
      { code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND kes.example" },
      "connect",
      "kes.example:7373: cannot resolve the host name",
      false,
    ],
    [
      { code: "EAI_AGAIN", message: "getaddrinfo EAI_AGAIN kes.example" },
      "connect",
      "kes.example:7373: cannot resolve the host name",
      true,
    ],
    [
      { code: "EHOSTUNREACH", message: "connect EHOSTUNREACH" },
      "connect",
      "kes.example:7373: host unreachable",
      true,
    ],
    [
      { code: "ERR_CONNECT_TIMEOUT", message: "timed out" },
      "connect",
      "kes.example:7373: no TCP connection within 10 s",
      false,
    ],
    [
      { code: "ECONNRESET", message: "socket hang up" },
      "request",
      "kes.example:7373: the connection was closed before the answer",
      true,
    ],
    [
      {
        code: "EPROTO",
        message:
          "write EPROTO 80ECA2:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:\n",
      },
      "handshake",
      "kes.example:7373 does not speak TLS (its answer is not a TLS handshake)",
      false,
    ],
    [
      {
        code: "EPROTO",
        message:
          "write EPROTO 80ECA2:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../rec_layer_s3.c:1605:\n",
      },
      "handshake",
      "kes.example:7373: the server ended the TLS connection (alert: bad certificate)",
      false,
    ],
  ] as const)("%j in %s", (err, phase, message, retryable) => {
    const e = connectionErrorOf(E, err, phase, 10_000);
    expect(e.message).toBe(message);
    expect(e.retryable).toBe(retryable);
    expect(e.endpoint).toBe(E);
  });

  it("says plain HTTP only when the probe saw it", () => {
    const err = { code: "EPROTO", message: "wrong version number" };
    expect(connectionErrorOf(E, err, "handshake", 10_000, true).message).toBe(
      "kes.example:7373 does not speak TLS (it answered plain HTTP)",
    );
  });

  it("names IPv6 endpoints as host:port", () => {
    expect(hostPort("https://[::1]:7373")).toBe("[::1]:7373");
  });
});
