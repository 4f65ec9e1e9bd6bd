import type { DoctorCheck, Finding } from "../finding.js";

const ID = "gateway.store";

/** The `store` part of the gateway's health summary. */
interface StoreView {
  ok?: boolean;
  file?: string;
  freeBytes?: number | null;
  integrityAtOpen?: { ok: boolean; problems: string[]; durationMs: number } | null;
}

/**
 * What the running gateway found of its state.db: the `quick_check` it ran when it opened the file
 * (and what that cost), and whether the store takes writes now. The offline integrity check is
 * `state.db`'s; a gateway that is not running is `gateway.health`'s to report.
 */
export const gatewayStoreCheck: DoctorCheck = {
  id: ID,
  title: "Gateway state store",
  async run(context): Promise<Finding[]> {
    const probe = await context.probeTarget().result;
    const health = probe.connected
      ? (probe.results.health as { error?: string; store?: StoreView })
      : undefined;
    const store = health?.store;
    if (!store) return [];
    const findings: Finding[] = [];
    const integrity = store.integrityAtOpen;
    if (integrity?.ok) {
      findings.push({
        id: ID,
        level: "ok",
        message: `state.db passed quick_check when the gateway opened it (${integrity.durationMs} ms)`,
      });
    } else if (integrity) {
      findings.push({
        id: ID,
        level: "error",
        message: `state.db failed quick_check when the gateway opened it: ${store.file}`,
        detail: [
          ...integrity.problems.map((problem) => `- ${problem}`),
          `Stop the gateway (${context.command("gateway stop")}), then move the file aside: ${context.command("doctor --repair")}`,
        ],
      });
    }
    if (integrity?.ok && store.ok === false) {
      findings.push({
        id: ID,
        level: "error",
        message: `The gateway cannot save to state.db: ${health?.error ?? "unknown reason"}`,
        detail: ["Runs are refused or end as interrupted until it can; free space or fix the permissions."],
      });
    }
    return findings;
  },
};
