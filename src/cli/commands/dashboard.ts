import { Flags } from "@oclif/core";
import { dashboardLink, resolveDashboard } from "../../service/dashboard-url.js";
import { CoderclawCommand } from "../base-command.js";
import { headlessReason, openBrowser } from "../open-browser.js";

export default class Dashboard extends CoderclawCommand {
  static override summary = "Open the Control UI in a browser, signed in with the gateway token.";
  static override description =
    "The token travels only in the URL fragment (#token=…), which the browser never sends to the gateway; the page moves it into session storage and removes it from the address bar.";
  static override flags = {
    open: Flags.boolean({
      description: "Open a browser (--no-open only prints the URL).",
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dashboard);
    this.applyProfile(flags.profile);
    const target = resolveDashboard(process.env);
    if (!target.enabled) {
      this.fail([
        "The Control UI is disabled (gateway.controlUi.enabled is false).",
        "Enable it with: coderclaw config set gateway.controlUi.enabled true",
      ]);
    }
    const link = dashboardLink(target);
    this.line(`Dashboard URL: ${link}`);
    if (!target.token) {
      this.line(
        target.authMode === "password"
          ? "Sign in with the gateway password (gateway.auth.password or CODERCLAW_GATEWAY_PASSWORD)."
          : "No gateway token is configured: sign in on the page (coderclaw config get gateway.auth.token).",
      );
    }
    if (!flags.open) return;
    const headless = headlessReason(process.env);
    if (headless) {
      this.line(`No browser opened: ${headless}.`);
      const local = new URL(link);
      local.hostname = "127.0.0.1";
      this.line("From your own computer, forward the gateway port over SSH:");
      this.line(`  ssh -N -L ${target.port}:127.0.0.1:${target.port} user@host`);
      this.line(`then open ${local.href} there.`);
      return;
    }
    const failure = await openBrowser(link);
    if (failure) this.line(`Could not open a browser (${failure}); open the URL above yourself.`);
    else this.line("Opened in your browser.");
  }
}
