import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";

const ORIGIN_REJECTED =
  "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)";

describe("Origin check: loopback means a loopback address, not a name that starts with 127.", () => {
  const fixture = useGateway(localConfig());

  async function connectFrom(origin: string, host?: string) {
    const peer = await fixture.open(host === undefined ? { origin } : { origin, host });
    return peer.connect({ auth: { token: TEST_TOKEN } });
  }

  it.each(["http://127.0.0.1.nip.io:5173", "http://127.0.0.1.evil.example", "https://127.evil.example"])(
    "rejects a page served from %s",
    async (origin) => {
      const res = await connectFrom(origin);
      expect(res.ok).toBe(false);
      expect(res.error?.message).toBe(ORIGIN_REJECTED);
    },
  );

  it.each(["http://127.0.0.1:5173", "http://127.1.2.3:8080", "http://[::1]:5173", "http://localhost:3000"])(
    "accepts a loopback page at %s from a local client",
    async (origin) => {
      expect((await connectFrom(origin)).ok).toBe(true);
    },
  );

  it("does not count a Host header of 127.0.0.1.nip.io as a loopback address", async () => {
    const res = await connectFrom("http://127.0.0.1:5173", `127.0.0.1.nip.io:${fixture.gateway.port}`);
    expect(res.error?.message).toBe(ORIGIN_REJECTED);
  });
});
