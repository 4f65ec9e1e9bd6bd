import fs from "node:fs";
import path from "node:path";
import { localConfig, makeTempHome, runCli, TEST_TOKEN, type TempHome } from "./helpers/gateway-process.js";

jest.setTimeout(60_000);

const homes: TempHome[] = [];
afterAll(() => homes.splice(0).forEach((home) => home.cleanup()));

function homeWith(config: Record<string, unknown>): TempHome {
  const home = makeTempHome();
  home.writeConfig(config);
  homes.push(home);
  return home;
}

const dashboard = (home: TempHome, env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCli(["dashboard", ...args], { ...home.env, ...env }, 30_000);

describe("coderclaw dashboard", () => {
  it("--no-open prints the URL with the token only in the fragment and opens nothing", async () => {
    const home = homeWith(localConfig({ port: 18999 }));
    const { code, stdout, stderr } = await dashboard(home, { DISPLAY: ":0" }, "--no-open");
    expect(code).toBe(0);
    expect(stdout).toBe(`Dashboard URL: http://127.0.0.1:18999/#token=${TEST_TOKEN}\n`);
    expect(stdout).not.toContain("?");
    expect(stderr).toBe("");
  });

  it("includes the base path and encodes the token", async () => {
    const home = homeWith({
      gateway: { mode: "local", port: 18998, auth: { token: "a b&c#d" }, controlUi: { basePath: "/ops/" } },
    });
    const { stdout } = await dashboard(home, {}, "--no-open");
    expect(stdout).toContain("Dashboard URL: http://127.0.0.1:18998/ops/#token=a%20b%26c%23d\n");
  });

  it("on a headless host prints the SSH tunnel hint instead of opening a browser", async () => {
    const home = homeWith(localConfig({ port: 18997 }));
    const { code, stdout } = await dashboard(home, {});
    expect(code).toBe(0);
    expect(stdout).toContain("No browser opened: no display (DISPLAY/WAYLAND_DISPLAY unset).");
    expect(stdout).toContain("  ssh -N -L 18997:127.0.0.1:18997 user@host\n");
    expect(stdout).toContain(`then open http://127.0.0.1:18997/#token=${TEST_TOKEN} there.`);
  });

  it("in an SSH session prints the tunnel hint even with a display", async () => {
    const home = homeWith(localConfig({ port: 18996 }));
    const { stdout } = await dashboard(home, { DISPLAY: ":0", SSH_CONNECTION: "10.0.0.2 5000 10.0.0.1 22" });
    expect(stdout).toContain("No browser opened: this is an SSH session.");
    expect(stdout).toContain("ssh -N -L 18996:127.0.0.1:18996 user@host");
  });

  it("with a display hands the tokenized URL to xdg-open", async () => {
    const home = homeWith(localConfig({ port: 18995 }));
    const bin = path.join(home.home, "bin");
    const record = path.join(home.home, "opened.txt");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`, {
      mode: 0o755,
    });
    const { code, stdout } = await dashboard(home, { DISPLAY: ":0", PATH: `${bin}:${process.env.PATH}` });
    expect(code).toBe(0);
    expect(stdout).toContain("Opened in your browser.");
    const deadline = Date.now() + 5_000;
    while (!fs.existsSync(record) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fs.readFileSync(record, "utf8")).toBe(`http://127.0.0.1:18995/#token=${TEST_TOKEN}`);
  });

  it("says so when no opener exists", async () => {
    const home = homeWith(localConfig({ port: 18994 }));
    const { code, stdout } = await dashboard(home, { DISPLAY: ":0", PATH: path.join(home.home, "nothing") });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /Could not open a browser \(xdg-open: .*ENOENT.*\); open the URL above yourself\./,
    );
  });

  it("with password auth prints the plain URL and says to sign in with the password", async () => {
    const home = homeWith({
      gateway: { mode: "local", port: 18993, auth: { mode: "password", password: "pw" } },
    });
    const { stdout } = await dashboard(home, {}, "--no-open");
    expect(stdout).toContain("Dashboard URL: http://127.0.0.1:18993/\n");
    expect(stdout).toContain("Sign in with the gateway password");
    expect(stdout).not.toContain("pw");
  });

  it("refuses when the Control UI is disabled", async () => {
    const home = homeWith(localConfig({ controlUi: { enabled: false } }));
    const { code, stdout, stderr } = await dashboard(home, {}, "--no-open");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("The Control UI is disabled (gateway.controlUi.enabled is false).");
  });
});
