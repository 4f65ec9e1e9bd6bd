import type { ConnectionSnapshot } from "./connection/gateway-connection.js";

/** One line that always says whether the page is live, and if not, why. */
export function StatusBar({ snapshot }: { snapshot: ConnectionSnapshot }) {
  const { notice, gap } = snapshot.context;
  let tone = "warn";
  let text: string;
  switch (true) {
    case snapshot.matches("connected"):
      tone = "ok";
      text = "Connected";
      break;
    case snapshot.matches("reconnecting") ||
      snapshot.matches("connecting") ||
      snapshot.matches("authenticating"):
      text =
        notice?.kind === "restarting"
          ? "Gateway restarting, reconnecting…"
          : notice
            ? `Reconnecting… (${notice.message})`
            : "Connecting…";
      break;
    case snapshot.matches("refused"):
      tone = "error";
      text = "Connection refused";
      break;
    default:
      tone = "error";
      text = "Signed out";
  }
  return (
    <div class={`status status-${tone}`} role="status" aria-live="polite" data-testid="connection-status">
      <span class="dot" aria-hidden="true" />
      {text}
      {gap && snapshot.matches({ connected: "resynced" }) && (
        <span class="status-note" data-testid="gap-notice" title="Missed events are not sent again">
          {" "}
          · event gap (expected seq {gap.expected}, got {gap.received}), refreshed
        </span>
      )}
    </div>
  );
}
