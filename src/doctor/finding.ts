import type { DoctorContext } from "./doctor-context.js";

export type FindingLevel = "ok" | "warn" | "error";

/** A repair a finding offers; `apply` returns the lines that say what it did and throws if it failed. */
export interface DoctorFix {
  description: string;
  apply(): Promise<string[]> | string[];
  /** Applied without `--repair` because a flag asked for exactly this (`--generate-gateway-token`). */
  forced?: boolean;
}

export interface Finding {
  /** Stable, dotted: `config.valid`, `state.db`, `instances.port`. */
  id: string;
  level: FindingLevel;
  message: string;
  detail?: string[];
  fix?: DoctorFix;
}

/** One doctor check: it inspects, it never changes anything itself (its findings' fixes do). */
export interface DoctorCheck {
  id: string;
  title: string;
  run(context: DoctorContext): Promise<Finding[]> | Finding[];
}

/**
 * `offered`: no `--repair`, so only shown; `skipped`: `--repair` without `--yes` and nobody to ask;
 * `declined`: the operator said no.
 */
export type RepairOutcome = "repaired" | "failed" | "offered" | "skipped" | "declined";

export interface RepairRecord {
  id: string;
  description: string;
  outcome: RepairOutcome;
  lines: string[];
  error?: string;
}
