import type { TargetFlags } from "../client/cli-target.js";
import type { Env } from "../config/paths.js";
import { configValidCheck } from "./checks/config-valid.js";
import { extraServicesCheck } from "./checks/extra-services.js";
import { fileModesCheck } from "./checks/file-modes.js";
import { gatewayAuthCheck } from "./checks/gateway-auth.js";
import { gatewayHealthCheck } from "./checks/gateway-health.js";
import { gatewayStoreCheck } from "./checks/gateway-store.js";
import { gatewayInstancesCheck } from "./checks/gateway-instances.js";
import { gatewayModeCheck } from "./checks/gateway-mode.js";
import { portOwnerCheck } from "./checks/port-owner.js";
import { serviceConfigCheck } from "./checks/service-config.js";
import { stateDbCheck } from "./checks/state-db.js";
import { stateDirCheck } from "./checks/state-dir.js";
import { systemdLingerCheck } from "./checks/systemd-linger.js";
import { DoctorContext } from "./doctor-context.js";
import type { DoctorCheck, Finding, RepairRecord } from "./finding.js";

/** In order: a repair early on (config restored, state dir created) is what later checks see. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configValidCheck,
  gatewayModeCheck,
  gatewayAuthCheck,
  serviceConfigCheck,
  extraServicesCheck,
  portOwnerCheck,
  systemdLingerCheck,
  stateDirCheck,
  stateDbCheck,
  fileModesCheck,
  gatewayInstancesCheck,
  gatewayHealthCheck,
  gatewayStoreCheck,
];

export interface DoctorOptions {
  env?: Env;
  platform?: NodeJS.Platform;
  /** `--repair` / `--fix`: offer the fixes. */
  repair?: boolean;
  /** `--yes`: accept every offered fix without asking. */
  yes?: boolean;
  /** Asks the operator (interactive TTY only); without it, fixes that need consent are skipped. */
  confirm?: (question: string) => Promise<boolean>;
  deep?: boolean;
  generateGatewayToken?: boolean;
  probeTimeoutMs?: number;
  /** `--url`/`--port`/`--token`/`--password`: the gateway to check instead of the one this config runs. */
  target?: TargetFlags;
  /** Called as each finding is known, then with what became of its fix (for streaming output). */
  onFinding?: (finding: Finding, repair: RepairRecord | null) => void;
}

export interface DoctorReport {
  /** No error is left standing (errors that were repaired do not count). */
  ok: boolean;
  findings: Array<Finding & { repaired?: boolean }>;
  /** Repairs that ran (`repaired` or `failed`). */
  repaired: RepairRecord[];
  /** Fixes not applied: only offered (no `--repair`), skipped (no consent) or declined. */
  skipped: RepairRecord[];
  /** A check threw instead of reporting: the command exits non-zero. */
  checkFailed: boolean;
}

const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

async function resolveFix(finding: Finding, options: DoctorOptions): Promise<RepairRecord | null> {
  const fix = finding.fix;
  if (!fix) return null;
  const record = (outcome: RepairRecord["outcome"], lines: string[] = [], error?: string): RepairRecord => ({
    id: finding.id,
    description: fix.description,
    outcome,
    lines,
    ...(error !== undefined ? { error } : {}),
  });
  if (!fix.forced) {
    if (!options.repair) return record("offered");
    if (!options.yes) {
      if (!options.confirm) return record("skipped");
      if (!(await options.confirm(`${fix.description}?`))) return record("declined");
    }
  }
  try {
    return record("repaired", await fix.apply());
  } catch (error) {
    return record("failed", [], (error as Error).message);
  }
}

/**
 * `coderclaw doctor`: runs every check in order, applies the fixes the options allow as it goes
 * (so later checks see the repaired state), and returns everything it found and did.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const context = new DoctorContext({
    env: options.env ?? process.env,
    platform: options.platform ?? process.platform,
    deep: options.deep ?? false,
    generateGatewayToken: options.generateGatewayToken ?? false,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    target: options.target ?? {},
  });
  const report: DoctorReport = { ok: true, findings: [], repaired: [], skipped: [], checkFailed: false };
  for (const check of DOCTOR_CHECKS) {
    let findings: Finding[];
    try {
      findings = await check.run(context);
    } catch (error) {
      report.checkFailed = true;
      findings = [
        {
          id: check.id,
          level: "error",
          message: `${check.title} check could not run: ${(error as Error).message.split("\n")[0]}`,
        },
      ];
    }
    for (const finding of findings) {
      const repair = await resolveFix(finding, options);
      const repaired = repair?.outcome === "repaired";
      report.findings.push(repair ? { ...finding, repaired } : finding);
      if (repair) (repaired || repair.outcome === "failed" ? report.repaired : report.skipped).push(repair);
      if (finding.level === "error" && !repaired) report.ok = false;
      options.onFinding?.(finding, repair);
    }
  }
  return report;
}
