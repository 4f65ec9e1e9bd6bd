import {
  killAll,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./gateway-process.js";
import { WsPeer } from "./ws-peer.js";

export interface GatewayFixture {
  readonly home: TempHome;
  readonly gateway: GatewayProcess;
  readonly url: string;
  /** A raw peer (not yet connected); closed after each test. */
  open(headers?: Record<string, string>): Promise<WsPeer>;
  /** A peer that completed the handshake with the test token (and `params`); closed after each test. */
  connected(params?: Record<string, unknown>): Promise<WsPeer>;
}

/**
 * One real gateway for a describe block: started before its tests with `config`, stopped after them
 * (with every process the tests started), peers closed after each test.
 */
export function useGateway(config: Record<string, unknown>): GatewayFixture {
  let home: TempHome | undefined;
  let gateway: GatewayProcess | undefined;
  const peers: WsPeer[] = [];
  const required = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the gateway fixture is used outside its describe block");
    return value;
  };
  const fixture: GatewayFixture = {
    get home() {
      return required(home);
    },
    get gateway() {
      return required(gateway);
    },
    get url() {
      return required(gateway).url;
    },
    async open(headers = {}) {
      const peer = await WsPeer.open(fixture.url, { headers });
      peers.push(peer);
      return peer;
    },
    async connected(params = {}) {
      const peer = await fixture.open();
      const res = await peer.connect({ auth: { token: TEST_TOKEN }, ...params });
      if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
      return peer;
    },
  };
  beforeAll(async () => {
    home = makeTempHome();
    home.writeConfig(config);
    gateway = await startGateway(home.env);
  });
  afterEach(() => peers.splice(0).forEach((peer) => peer.close()));
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home?.cleanup();
  });
  return fixture;
}
