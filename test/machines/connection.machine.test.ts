import { HANDSHAKE_TIMEOUT_CLOSE, type HandshakeRejection } from "../../src/machines/connection.machine.js";
import { connectionHarness, flush, stopAllActors, valueOf } from "./support.js";

afterEach(stopAllActors);

const CONNECT = {
  type: "CONNECT_RECEIVED",
  requestId: "req-1",
  params: { auth: { token: "secret" } },
} as const;
const SESSION = { clientId: "cli", role: "operator" };
const REJECTION: HandshakeRejection = {
  requestId: "req-1",
  error: { code: "UNAUTHORIZED", message: "invalid token" },
  code: 1008,
  reason: "unauthorized",
};
const GOING_AWAY = { type: "CLOSE", code: 1001, reason: "gateway shutting down" } as const;

// The two steps before hello-ok.
const AWAITING_CONNECT = "awaiting-connect";
const CHALLENGED = "challenged";

/** A started connection driven to `ready` (hello-ok sent). */
async function readyConnection() {
  const h = connectionHarness();
  h.actor.start();
  h.actor.send(CONNECT);
  h.authenticate.last.deferred.resolve(SESSION);
  await flush();
  expect(valueOf(h.actor)).toBe("ready");
  return h;
}

describe("connection machine", () => {
  describe("handshake", () => {
    it("sends connect.challenge as soon as it starts and waits for connect", () => {
      const h = connectionHarness();
      h.actor.start();

      expect(valueOf(h.actor)).toEqual(AWAITING_CONNECT);
      expect(h.log.calls).toEqual([{ type: "sendChallenge", params: { connId: "conn-1" } }]);
      expect(h.authenticate.calls).toHaveLength(0);
    });

    it("authenticates the connect request with connId, requestId and params in challenged", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);

      expect(valueOf(h.actor)).toEqual(CHALLENGED);
      expect(h.authenticate.inputs()).toEqual([
        { connId: "conn-1", requestId: "req-1", params: { auth: { token: "secret" } } },
      ]);
      expect(h.log.types()).toEqual(["sendChallenge"]);
    });

    it("sends hello-ok with the requestId and the session, becomes ready and starts the keepalive", async () => {
      const h = await readyConnection();

      expect(h.log.of("sendHelloOk")).toEqual([{ connId: "conn-1", requestId: "req-1", session: SESSION }]);
      expect(h.log.types()).toEqual(["sendChallenge", "sendHelloOk"]);
      expect(h.keepalive.starts).toEqual([{ connId: "conn-1" }]);
      expect(h.keepalive.running).toBe(1);
      expect(h.deadlines.log).toEqual(["start handshake", "stop handshake"]);
    });

    it("sends the rejection, then closes with its code and reason, when authentication fails", async () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);
      h.authenticate.last.deferred.reject(REJECTION);
      await flush();

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.types()).toEqual(["sendChallenge", "sendRejection", "closeSocket"]);
      expect(h.log.of("sendRejection")).toEqual([{ connId: "conn-1", rejection: REJECTION }]);
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1008, reason: "unauthorized" } },
      ]);
      expect(h.log.count("sendHelloOk")).toBe(0);
      expect(h.keepalive.starts).toHaveLength(0);
    });

    it("closes with 1011 'internal error' when authentication fails with something that is not a rejection", async () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);
      h.authenticate.last.deferred.reject(
        new TypeError("Cannot read properties of undefined (reading 'token')"),
      );
      await flush();

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.types()).toEqual(["sendChallenge", "sendRejection", "closeSocket"]);
      // No request-scoped error is invented for a bug: the rejection is the close itself.
      expect(h.log.of("sendRejection")).toEqual([
        { connId: "conn-1", rejection: { code: 1011, reason: "internal error" } },
      ]);
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1011, reason: "internal error" } },
      ]);
      expect(h.log.count("sendHelloOk")).toBe(0);
      expect(h.keepalive.starts).toHaveLength(0);

      // The connection still ends normally: closeGrace, terminate, release once.
      h.deadlines.expire("closeGrace");
      expect(valueOf(h.actor)).toBe("closed");
      expect(h.log.of("releaseConnection")).toEqual([{ connId: "conn-1" }]);
    });

    it("sends the rejection, then closes with its code and reason, on HANDSHAKE_REJECTED in awaiting-connect", () => {
      const h = connectionHarness();
      h.actor.start();
      const badFirstFrame: HandshakeRejection = {
        requestId: "req-0",
        error: { code: "INVALID_REQUEST", message: "first request must be connect" },
        code: 1008,
        reason: "invalid handshake",
      };
      h.actor.send({ type: "HANDSHAKE_REJECTED", ...badFirstFrame });

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.types()).toEqual(["sendChallenge", "sendRejection", "closeSocket"]);
      expect(h.log.of("sendRejection")).toEqual([
        { connId: "conn-1", rejection: expect.objectContaining(badFirstFrame) },
      ]);
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1008, reason: "invalid handshake" } },
      ]);
      expect(h.authenticate.calls).toHaveLength(0);
    });

    it("starts the handshake deadline with the challenge, and closes with 1000 and no reason when it runs out", () => {
      const h = connectionHarness();
      h.actor.start();
      expect(h.deadlines.runningNow()).toEqual(["handshake"]);
      expect(h.log.count("closeSocket")).toBe(0);

      h.deadlines.expire("handshake");
      expect(valueOf(h.actor)).toBe("closing");
      expect(h.deadlines.runningNow()).toEqual(["closeGrace"]);
      expect(h.log.of("closeSocket")).toEqual([{ connId: "conn-1", close: { code: 1000, reason: "" } }]);
      expect(HANDSHAKE_TIMEOUT_CLOSE).toEqual({ code: 1000, reason: "" });
      expect(h.log.count("sendRejection")).toBe(0);
    });

    it("closes with 1000 and no reason when authentication hangs past the handshake timeout, and ignores a late verdict", async () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);
      expect(valueOf(h.actor)).toEqual(CHALLENGED);

      h.deadlines.expire("handshake");
      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.of("closeSocket")).toEqual([{ connId: "conn-1", close: { code: 1000, reason: "" } }]);

      // A verdict that arrives after the timeout is ignored: no hello-ok, no keepalive.
      h.authenticate.last.deferred.resolve(SESSION);
      await flush();
      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.count("sendHelloOk")).toBe(0);
      expect(h.keepalive.starts).toHaveLength(0);
    });

    it("keeps one handshake deadline from the challenge: the connect request does not restart it", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);

      expect(h.deadlines.log).toEqual(["start handshake"]);
      h.deadlines.expire("handshake");
      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.of("closeSocket")).toEqual([{ connId: "conn-1", close: { code: 1000, reason: "" } }]);
    });

    it("stops the handshake deadline at hello-ok", async () => {
      const h = await readyConnection();

      expect(h.deadlines.runningNow()).toEqual([]);
      expect(() => h.deadlines.expire("handshake")).toThrow(/not running/);
      expect(valueOf(h.actor)).toBe("ready");
      expect(h.log.types()).toEqual(["sendChallenge", "sendHelloOk"]);
    });

    it("closes with the requested code when CLOSE arrives while challenged, and ignores a late verdict", async () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);
      h.actor.send(GOING_AWAY);

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1001, reason: "gateway shutting down" } },
      ]);

      h.authenticate.last.deferred.reject(REJECTION);
      await flush();
      expect(h.log.count("sendRejection")).toBe(0);
    });

    it("closes with the requested code when CLOSE arrives in awaiting-connect", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(GOING_AWAY);

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1001, reason: "gateway shutting down" } },
      ]);
    });

    it("ignores PEER_UNRESPONSIVE before hello-ok", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send({ type: "PEER_UNRESPONSIVE" });
      expect(valueOf(h.actor)).toEqual(AWAITING_CONNECT);
      h.actor.send(CONNECT);
      h.actor.send({ type: "PEER_UNRESPONSIVE" });
      expect(valueOf(h.actor)).toEqual(CHALLENGED);
      expect(h.log.count("terminateSocket")).toBe(0);
    });
  });

  describe("ready", () => {
    it("stops the keepalive when CLOSE arrives, then sends the close frame", async () => {
      const h = await readyConnection();
      h.actor.send(GOING_AWAY);

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.keepalive.stops).toBe(1);
      expect(h.keepalive.running).toBe(0);
      expect(h.deadlines.runningNow()).toEqual(["closeGrace"]);
      expect(h.log.of("closeSocket")).toEqual([
        { connId: "conn-1", close: { code: 1001, reason: "gateway shutting down" } },
      ]);
    });

    it("stops the keepalive when the socket closes", async () => {
      const h = await readyConnection();
      h.actor.send({ type: "SOCKET_CLOSED", code: 1006 });

      expect(valueOf(h.actor)).toBe("closed");
      expect(h.keepalive.stops).toBe(1);
      expect(h.keepalive.running).toBe(0);
      expect(h.log.of("releaseConnection")).toEqual([{ connId: "conn-1" }]);
    });

    it("terminates the socket and closes when the keepalive reports PEER_UNRESPONSIVE", async () => {
      const h = await readyConnection();
      h.keepalive.sendBack({ type: "PEER_UNRESPONSIVE" });

      expect(valueOf(h.actor)).toBe("closed");
      expect(h.actor.getSnapshot().status).toBe("done");
      expect(h.log.types()).toEqual(["sendChallenge", "sendHelloOk", "terminateSocket", "releaseConnection"]);
      expect(h.log.of("terminateSocket")).toEqual([{ connId: "conn-1" }]);
      expect(h.log.count("closeSocket")).toBe(0);
      expect(h.keepalive.running).toBe(0);
    });
  });

  describe("closing", () => {
    it("starts the close grace with the close frame, then terminates the socket and closes when it runs out", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(GOING_AWAY);

      expect(valueOf(h.actor)).toBe("closing");
      expect(h.deadlines.log).toEqual(["start handshake", "stop handshake", "start closeGrace"]);
      expect(h.log.count("terminateSocket")).toBe(0);

      h.deadlines.expire("closeGrace");
      expect(valueOf(h.actor)).toBe("closed");
      expect(h.log.types()).toEqual(["sendChallenge", "closeSocket", "terminateSocket", "releaseConnection"]);
      expect(h.log.of("terminateSocket")).toEqual([{ connId: "conn-1" }]);
    });

    it("closes without terminating when the peer completes the close within the grace period", () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(GOING_AWAY);
      h.actor.send({ type: "SOCKET_CLOSED", code: 1001 });

      expect(valueOf(h.actor)).toBe("closed");
      expect(h.deadlines.runningNow()).toEqual([]);
      expect(h.log.types()).toEqual(["sendChallenge", "closeSocket", "releaseConnection"]);
    });
  });

  describe("closed", () => {
    const reach: Record<
      string,
      { value: unknown; drive: (h: ReturnType<typeof connectionHarness>) => Promise<void> }
    > = {
      "awaiting-connect": { value: AWAITING_CONNECT, drive: async () => {} },
      challenged: {
        value: CHALLENGED,
        drive: async (h) => {
          h.actor.send(CONNECT);
        },
      },
      ready: {
        value: "ready",
        drive: async (h) => {
          h.actor.send(CONNECT);
          h.authenticate.last.deferred.resolve(SESSION);
          await flush();
        },
      },
      closing: {
        value: "closing",
        drive: async (h) => {
          h.actor.send(GOING_AWAY);
        },
      },
    };

    it.each(Object.keys(reach))(
      "goes to closed and releases the connection exactly once on SOCKET_CLOSED in %s",
      async (state) => {
        const h = connectionHarness();
        h.actor.start();
        await reach[state]!.drive(h);
        expect(valueOf(h.actor)).toEqual(reach[state]!.value);

        h.actor.send({ type: "SOCKET_CLOSED", code: 1006 });

        expect(valueOf(h.actor)).toBe("closed");
        expect(h.actor.getSnapshot().status).toBe("done");
        expect(h.log.of("releaseConnection")).toEqual([{ connId: "conn-1" }]);
        expect(h.keepalive.running).toBe(0);

        // Nothing the connection owned survives it: no deadline runs, no late event is processed.
        expect(h.deadlines.runningNow()).toEqual([]);
        const before = h.log.calls.length;
        h.actor.send({ type: "HANDSHAKE_TIMEOUT" });
        h.actor.send({ type: "CLOSE_GRACE_ELAPSED" });
        h.actor.send({ type: "SOCKET_CLOSED", code: 1006 });
        h.authenticate.calls.forEach((c) => c.deferred.resolve(SESSION));
        await flush();
        expect(h.log.calls.length).toBe(before);
        expect(h.log.count("releaseConnection")).toBe(1);
        expect(h.log.count("sendHelloOk")).toBe(state === "ready" ? 1 : 0);
      },
    );

    it("ignores a verdict that arrives after the socket closed while challenged", async () => {
      const h = connectionHarness();
      h.actor.start();
      h.actor.send(CONNECT);
      h.actor.send({ type: "SOCKET_CLOSED", code: 1006 });
      h.actor.send({ type: "AUTHENTICATED", requestId: "req-1", session: SESSION });
      await flush();

      expect(valueOf(h.actor)).toBe("closed");
      expect(h.log.count("sendHelloOk")).toBe(0);
      expect(h.keepalive.starts).toHaveLength(0);
    });

    it("reaches the final status 'done' on every way out", async () => {
      const timedOut = connectionHarness();
      timedOut.actor.start();
      timedOut.deadlines.expire("handshake");
      timedOut.deadlines.expire("closeGrace");
      expect(timedOut.actor.getSnapshot().status).toBe("done");
      expect(timedOut.log.types()).toEqual([
        "sendChallenge",
        "closeSocket",
        "terminateSocket",
        "releaseConnection",
      ]);

      const unresponsive = await readyConnection();
      unresponsive.actor.send({ type: "PEER_UNRESPONSIVE" });
      expect(unresponsive.actor.getSnapshot().status).toBe("done");
    });
  });
});
