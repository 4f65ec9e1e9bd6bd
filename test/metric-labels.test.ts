import { classifyFirstFrame } from "../src/actors/connection-runtime.js";
import {
  handshakeFailureReason,
  restartKindLabel,
  runOutcomeLabel,
  type RefusedHandshake,
} from "../src/metrics/metric-labels.js";
import { ErrorCodes } from "../src/protocol/index.js";
import { unauthorizedMessage, type AuthFailureReason } from "../src/transport/auth.js";

const refused = (message: string, code: string = ErrorCodes.INVALID_REQUEST): RefusedHandshake => ({
  code: 1008,
  reason: message,
  error: { code, message },
});

describe("metric labels", () => {
  it("names every shared-secret failure the handshake reports by its own reason", () => {
    const expected: Record<AuthFailureReason, string> = {
      token_missing: "token_missing",
      token_mismatch: "token_mismatch",
      token_missing_config: "token_not_configured",
      password_missing: "password_missing",
      password_mismatch: "password_mismatch",
      password_missing_config: "password_not_configured",
      rate_limited: "rate_limited",
      unauthorized: "unauthorized",
    };
    for (const client of [
      { id: "cli", mode: "cli" },
      { id: "coderclaw-control-ui", mode: "webchat" },
      { id: "bot", mode: "backend" },
    ]) {
      for (const [reason, label] of Object.entries(expected)) {
        const message = unauthorizedMessage(reason as AuthFailureReason, client);
        expect(handshakeFailureReason(refused(message))).toBe(label);
      }
    }
  });

  it("names first-frame refusals as the connection runtime makes them", () => {
    const notJson = classifyFirstFrame("{{{");
    const notConnect = classifyFirstFrame(JSON.stringify({ type: "req", id: "1", method: "health" }));
    expect(notJson.type).toBe("HANDSHAKE_REJECTED");
    expect(notConnect.type).toBe("HANDSHAKE_REJECTED");
    expect(handshakeFailureReason(notJson as RefusedHandshake)).toBe("invalid_frame");
    expect(handshakeFailureReason(notConnect as RefusedHandshake)).toBe("not_connect");
  });

  it("keeps an unforeseen message to one bounded value", () => {
    expect(handshakeFailureReason(refused('something "new" happened'))).toBe("other");
    expect(handshakeFailureReason({ code: 1011, reason: "internal error" })).toBe("internal");
  });

  it("tells restarts after a failure from requested ones, whatever reason a client wrote", () => {
    expect(restartKindLabel("config change (gateway.port)", 0)).toBe("config");
    expect(restartKindLabel("received SIGUSR1", 0)).toBe("signal");
    expect(restartKindLabel("anything a client typed", 0)).toBe("request");
    expect(restartKindLabel("gateway failed: boom", 2)).toBe("crash");
  });

  it("reads a run's outcome from its last lifecycle event", () => {
    expect(runOutcomeLabel({ phase: "end" })).toBe("ok");
    expect(runOutcomeLabel({ phase: "error", error: "provider down" })).toBe("error");
    expect(runOutcomeLabel({ phase: "end", aborted: true, stopReason: "rpc" })).toBe("aborted");
    expect(runOutcomeLabel({ phase: "end", aborted: true, stopReason: "timeout" })).toBe("timeout");
    expect(runOutcomeLabel({ phase: "end", aborted: true, stopReason: "interrupted" })).toBe("interrupted");
  });
});
