import { cliCommand, type Env } from "../config/paths.js";
import type { Finding, FindingLevel, RepairRecord } from "./finding.js";
import type { DoctorReport } from "./run-doctor.js";

const SYMBOL: Record<FindingLevel, string> = { ok: "✓", warn: "!", error: "✗" };

/** `✓ …` / `! …` / `✗ …`, its detail indented, then what became of its fix. */
export function findingLines(finding: Finding, repair: RepairRecord | null): string[] {
  const lines = [`${SYMBOL[finding.level]} ${finding.message}`];
  for (const detail of finding.detail ?? []) lines.push(`  ${detail}`);
  if (!repair) return lines;
  switch (repair.outcome) {
    case "repaired":
      lines.push(`  Repaired: ${repair.description}`, ...repair.lines.map((line) => `    ${line}`));
      break;
    case "failed":
      lines.push(`  Repair failed: ${repair.description}`, `    ${repair.error ?? "unknown error"}`);
      break;
    case "offered":
      lines.push(`  Fix: ${repair.description}`);
      break;
    case "skipped":
      lines.push(
        `  Would repair: ${repair.description}`,
        "    Skipped (--non-interactive; pass --yes to apply).",
      );
      break;
    case "declined":
      lines.push(`  Skipped: ${repair.description}`);
      break;
  }
  return lines;
}

/** The closing lines; the last is always `Doctor complete.` */
export function summaryLines(report: DoctorReport, env: Env = process.env): string[] {
  const lines: string[] = [];
  if (report.skipped.some((repair) => repair.outcome === "offered")) {
    lines.push(`Run "${cliCommand("doctor --fix", env)}" to apply changes.`);
  }
  const skipped = report.skipped.filter((repair) => repair.outcome === "skipped").length;
  if (skipped > 0) {
    lines.push(
      `${skipped} repair(s) skipped; rerun with "${cliCommand("doctor --repair --yes", env)}" to apply.`,
    );
  }
  const unresolved = report.findings.filter((finding) => finding.level === "error" && !finding.repaired);
  if (unresolved.length > 0) {
    lines.push(`Unresolved: ${unresolved.length} problem(s) marked ✗ (exit code 1).`);
  }
  lines.push("Doctor complete.");
  return lines;
}

function findingJson(finding: DoctorReport["findings"][number]) {
  return {
    id: finding.id,
    level: finding.level,
    message: finding.message,
    ...(finding.detail && finding.detail.length > 0 ? { detail: finding.detail } : {}),
    ...(finding.fix ? { fix: { description: finding.fix.description } } : {}),
    ...(finding.repaired !== undefined ? { repaired: finding.repaired } : {}),
  };
}

/** `--json`: `{ok, findings, repaired, skipped}`; fixes appear as their description only. */
export function doctorJson(report: DoctorReport): string {
  return JSON.stringify(
    {
      ok: report.ok,
      findings: report.findings.map(findingJson),
      repaired: report.repaired,
      skipped: report.skipped,
    },
    null,
    2,
  );
}
