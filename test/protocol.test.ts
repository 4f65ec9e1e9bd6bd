import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { KindGuard } from "@sinclair/typebox";
import * as protocol from "../src/protocol/index.js";
import {
  CloseCodes,
  ErrorCodes,
  GATEWAY_EVENTS,
  PROTOCOL_VERSION,
  describeCloseCode,
  errorShape,
  truncateCloseReason,
  validateConnectParams,
  validateRequestFrame,
} from "../src/protocol/index.js";
import { protocolJsonSchema, protocolSchemaPath } from "../src/protocol/write-schema.js";

const connectParams = () => ({
  minProtocol: 3,
  maxProtocol: 3,
  client: { id: "cli", version: "0.1.0", platform: "linux", mode: "cli" },
});

const messageOf = (result: { ok: true } | { ok: false; message: string }) =>
  result.ok ? "(accepted)" : result.message;

describe("request frame validation", () => {
  it("accepts a request with and without params", () => {
    expect(validateRequestFrame({ type: "req", id: "1", method: "health" })).toEqual({
      ok: true,
      value: { type: "req", id: "1", method: "health" },
    });
    expect(
      validateRequestFrame({ type: "req", id: "1", method: "agent", params: { message: "hi" } }).ok,
    ).toBe(true);
  });

  it("names an extra property at the root", () => {
    const result = validateRequestFrame({ type: "req", id: "1", method: "health", x: 1 });
    expect(messageOf(result)).toBe("at root: unexpected property 'x'");
  });

  it("names a missing method", () => {
    expect(messageOf(validateRequestFrame({ type: "req", id: "1" }))).toBe(
      "at root: must have required property 'method'",
    );
  });

  it("reports every problem, joined with '; '", () => {
    expect(messageOf(validateRequestFrame({ type: "res", id: "", method: "health" }))).toBe(
      "at /type: must be equal to constant; at /id: must NOT have fewer than 1 characters",
    );
  });

  it("rejects values that are not objects", () => {
    expect(messageOf(validateRequestFrame("hello"))).toBe("at root: must be object");
    expect(messageOf(validateRequestFrame(null))).toBe("at root: must be object");
  });
});

describe("connect params validation", () => {
  it("accepts the minimal params", () => {
    expect(validateConnectParams(connectParams()).ok).toBe(true);
  });

  it("accepts an unknown client id and mode", () => {
    const params = connectParams();
    params.client = { ...params.client, id: "my-own-client", mode: "robot" };
    expect(validateConnectParams(params).ok).toBe(true);
  });

  it("ignores unknown fields at the top level and inside client, device and auth", () => {
    const params = {
      ...connectParams(),
      futureField: { anything: true },
      client: { ...connectParams().client, colour: "blue" },
      device: { id: "d", publicKey: "k", signature: "s", signedAt: 1, algorithm: "ed25519" },
      auth: { token: "t", otp: "123456" },
    };
    expect(validateConnectParams(params).ok).toBe(true);
  });

  it("still validates the known fields", () => {
    const params = { ...connectParams(), role: "", scopes: ["operator.read", 7] };
    expect(messageOf(validateConnectParams(params))).toBe(
      "at /role: must NOT have fewer than 1 characters; at /scopes/1: must be string",
    );
  });

  it("rejects a missing client.version", () => {
    const params = connectParams();
    const { version: _version, ...client } = params.client;
    expect(messageOf(validateConnectParams({ ...params, client }))).toBe(
      "at /client: must have required property 'version'",
    );
  });

  it("rejects protocol bounds below 1 and non-integers", () => {
    expect(messageOf(validateConnectParams({ ...connectParams(), minProtocol: 0, maxProtocol: 3.5 }))).toBe(
      "at /minProtocol: must be >= 1; at /maxProtocol: must be integer",
    );
  });
});

describe("error shapes", () => {
  it("carries only the options given", () => {
    expect(errorShape(ErrorCodes.INVALID_REQUEST, "invalid role")).toEqual({
      code: "INVALID_REQUEST",
      message: "invalid role",
    });
    expect(Object.keys(errorShape(ErrorCodes.UNAVAILABLE, "busy", { retryable: true }))).toEqual([
      "code",
      "message",
      "retryable",
    ]);
    expect(
      errorShape(ErrorCodes.INVALID_REQUEST, "protocol mismatch", {
        details: { expectedProtocol: PROTOCOL_VERSION },
      }),
    ).toEqual({ code: "INVALID_REQUEST", message: "protocol mismatch", details: { expectedProtocol: 3 } });
  });
});

describe("close codes", () => {
  it("describes the codes clients show", () => {
    expect(describeCloseCode(CloseCodes.NORMAL)).toBe("normal closure");
    expect(describeCloseCode(1006)).toBe("abnormal closure (no close frame)");
    expect(describeCloseCode(CloseCodes.POLICY_VIOLATION)).toBe("policy violation");
    expect(describeCloseCode(CloseCodes.MESSAGE_TOO_BIG)).toBe("message too big");
    expect(describeCloseCode(CloseCodes.SERVICE_RESTART)).toBe("service restart");
    expect(describeCloseCode(CloseCodes.TRY_AGAIN_LATER)).toBe("try again later");
    expect(describeCloseCode(CloseCodes.TICK_TIMEOUT)).toBe("tick timeout");
    expect(describeCloseCode(4999)).toBe("");
  });

  it("leaves a short reason untouched", () => {
    expect(truncateCloseReason("invalid request frame")).toBe("invalid request frame");
    expect(truncateCloseReason("x".repeat(120))).toBe("x".repeat(120));
  });

  it("truncates to 120 bytes without splitting a multibyte character", () => {
    const samples = ["é", "€", "😀", "a😀", "ab€", "日本語"].map((unit) => unit.repeat(100));
    for (const reason of samples) {
      for (const prefix of ["", "x", "xy", "xyz"]) {
        const truncated = truncateCloseReason(prefix + reason);
        expect(Buffer.byteLength(truncated)).toBeLessThanOrEqual(120);
        expect(Buffer.byteLength(truncated)).toBeGreaterThan(116);
        expect(truncated).not.toContain("\uFFFD");
        expect((prefix + reason).startsWith(truncated)).toBe(true);
      }
    }
  });

  it("honours a custom byte limit", () => {
    expect(truncateCloseReason("€€€", 5)).toBe("€");
    expect(truncateCloseReason("€€€", 2)).toBe("");
  });
});

describe("events", () => {
  it("lists the events this gateway emits, inspect included", () => {
    expect(GATEWAY_EVENTS).toEqual(
      expect.arrayContaining(["connect.challenge", "tick", "shutdown", "presence", "health", "heartbeat"]),
    );
    expect(GATEWAY_EVENTS).toEqual(expect.arrayContaining(["inspect"]));
    expect(new Set(GATEWAY_EVENTS).size).toBe(GATEWAY_EVENTS.length);
  });

  it("requires restartExpectedMs to be an integer or null, never omitted", () => {
    const validateShutdown = protocol.compileValidator(protocol.ShutdownPayload);
    expect(validateShutdown({ reason: "gateway stopping", restartExpectedMs: null }).ok).toBe(true);
    expect(validateShutdown({ reason: "gateway restarting", restartExpectedMs: 1500 }).ok).toBe(true);
    expect(messageOf(validateShutdown({ reason: "gateway stopping" }))).toBe(
      "at root: must have required property 'restartExpectedMs'",
    );
  });
});

describe("protocol JSON Schema", () => {
  const exportedSchemaNames = Object.entries(protocol)
    .filter(([, value]) => KindGuard.IsSchema(value))
    .map(([name]) => name);

  it("has a definition for every exported schema", () => {
    const document = protocolJsonSchema();
    expect(exportedSchemaNames).toEqual(
      expect.arrayContaining(["RequestFrame", "ResponseFrame", "EventFrame", "ErrorShape", "ConnectParams"]),
    );
    expect(exportedSchemaNames).toEqual(
      expect.arrayContaining(["HelloOk", "Snapshot", "Policy", "PresenceEntry"]),
    );
    expect(exportedSchemaNames).toEqual(
      expect.arrayContaining([
        "ConnectChallengePayload",
        "TickPayload",
        "ShutdownPayload",
        "PresencePayload",
      ]),
    );
    expect(Object.keys(document.definitions).sort()).toEqual([...exportedSchemaNames].sort());
    expect(document.$id).toBe("https://coderclaw.dev/protocol/v3.json");
  });

  it("is JSON that a standard validator compiles and uses", () => {
    const document = JSON.parse(JSON.stringify(protocolJsonSchema())) as { $id: string };
    const ajv = new Ajv({ allErrors: true });
    ajv.addSchema(document);
    const validate = ajv.getSchema(`${document.$id}#/definitions/RequestFrame`);
    expect(validate?.({ type: "req", id: "1", method: "health" })).toBe(true);
    expect(validate?.({ type: "req", id: "1", method: "health", x: 1 })).toBe(false);
  });

  it("matches docs/protocol.schema.json (regenerate with `npm run schema`)", () => {
    expect(JSON.parse(readFileSync(protocolSchemaPath(), "utf8"))).toEqual(protocolJsonSchema());
  });
});
