import fs from "node:fs";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig } from "./helpers/gateway-process.js";

describe("config writes against a file edited on disk", () => {
  // A long debounce: the gateway has certainly not re-read the file when the write arrives.
  const fixture = useGateway(localConfig({ reload: { mode: "hybrid", debounceMs: 10_000 } }));

  it("refuse the stale baseHash even before the reload controller has read the edit, and keep the edit", async () => {
    const peer = await fixture.connected();
    const loaded = await peer.request("config.get");
    const onDisk = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(
      fixture.home.configPath,
      JSON.stringify({ ...onDisk, logging: { level: "warn" } }, null, 2),
    );
    const res = await peer.request("config.patch", {
      patch: { session: { mainKey: "desk" } },
      baseHash: loaded.payload.hash,
    });
    expect(res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "config changed since last load; re-run config.get and retry",
    });
    const after = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as Record<string, unknown>;
    expect(after).toEqual({ ...onDisk, logging: { level: "warn" } });
  });
});
