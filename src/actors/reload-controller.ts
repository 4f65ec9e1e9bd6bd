import fs from "node:fs";
import path from "node:path";
import { fromCallback, fromPromise } from "xstate";
import { readConfigSnapshot, type ConfigSnapshot } from "../config/load.js";
import { diffConfigPaths } from "../config/diff.js";
import { classifyChanges } from "../config/reload-rules.js";
import type { SubsystemLogger } from "../log/logger.js";
import { NO_FAULTS, type FaultInjection } from "./fault-injection.js";
import { reloadMachine, type ReloadAssessment, type ReloadEvent } from "../machines/reload.machine.js";

export interface ReloadOutcome {
  status: "applied" | "restarting" | "ignored" | "invalid" | "disabled" | "failed";
  mode: string;
  paths: string[];
  issues?: Array<{ path: string; message: string }>;
  ts: number;
}

export interface ReloadControllerDeps {
  configPath: string;
  log: SubsystemLogger;
  /** The config the running gateway uses (null while none is running). */
  current(): ConfigSnapshot | null;
  applyHot(snapshot: ConfigSnapshot): void | Promise<void>;
  requestRestart(reason: string): void;
  /** Tells admin clients (`reload` event). */
  publish(outcome: ReloadOutcome): void;
  faults?: FaultInjection;
}

/** The reload machine with real I/O: a directory watch (editors replace files by rename), reads, diffs. */
export function provideReloadMachine(deps: ReloadControllerDeps) {
  const { configPath, log } = deps;
  const faults = deps.faults ?? NO_FAULTS;
  let planned: ConfigSnapshot | null = null;
  const outcome = (status: ReloadOutcome["status"], assessment: ReloadAssessment, paths: string[]) =>
    deps.publish({
      status,
      mode: assessment.mode,
      paths,
      ts: Date.now(),
      ...(assessment.valid ? {} : { issues: assessment.issues }),
    });

  const differsFromRunning = () => {
    const current = deps.current();
    const onDisk = readConfigSnapshot(configPath);
    if (!current || !onDisk.exists) return false;
    return !onDisk.valid || diffConfigPaths(current.config, onDisk.config).length > 0;
  };

  return reloadMachine.provide({
    delays: { debounce: () => deps.current()?.config.gateway.reload.debounceMs ?? 300 },
    actors: {
      watchConfig: fromCallback<ReloadEvent>(({ sendBack }) => {
        const dir = path.dirname(configPath);
        const base = path.basename(configPath);
        let watcher: fs.FSWatcher;
        try {
          fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
          watcher = fs.watch(dir, (_event, filename) => {
            if (filename === base) sendBack({ type: "FILE_CHANGED" });
          });
        } catch (error) {
          log.error(`config watcher error: ${(error as Error).message}`);
          return undefined;
        }
        watcher.on("error", (error) => {
          log.error(`config watcher error: ${error.message}`);
          watcher.close();
        });
        // A controller restarted after a failure may have missed a change meanwhile: look once now.
        if (differsFromRunning()) sendBack({ type: "FILE_CHANGED" });
        return () => watcher.close();
      }),
      planReload: fromPromise(async (): Promise<ReloadAssessment> => {
        const current = deps.current();
        const next = readConfigSnapshot(configPath);
        const mode = (next.valid ? next.config : (current?.config ?? next.config)).gateway.reload.mode;
        if (!next.valid)
          return { valid: false, issues: next.issues, mode, changed: [], hot: [], restart: [], none: [] };
        planned = next;
        const changed = current ? diffConfigPaths(current.config, next.config) : [];
        if (changed.length > 0) log.info(`config change detected; evaluating reload (${changed.join(", ")})`);
        return { valid: true, issues: [], mode, ...classifyChanges(changed) };
      }),
      applyHot: fromPromise(async () => {
        if (planned) await deps.applyHot(planned);
      }),
    },
    actions: {
      reportInvalid: (_, assessment) => {
        faults.trip("reload:action");
        const problems = assessment.issues
          .map((issue) => `${issue.path || "<root>"}: ${issue.message}`)
          .join(", ");
        log.warn(`config reload skipped (invalid config): ${configPath}: ${problems}`);
        outcome("invalid", assessment, []);
      },
      reportDisabled: (_, assessment) => {
        log.info("config reload disabled (gateway.reload.mode=off)");
        outcome("disabled", assessment, assessment.changed);
      },
      reportRestartIgnored: (_, assessment) => {
        log.warn(
          `config reload requires gateway restart; hot mode ignoring (${assessment.restart.join(", ")})`,
        );
        outcome("ignored", assessment, assessment.restart);
      },
      reportApplied: (_, assessment) => {
        faults.trip("reload:action");
        log.info(
          assessment.hot.length > 0
            ? `config hot reload applied (${assessment.hot.join(", ")})`
            : `config change applied (no action needed: ${assessment.none.join(", ")})`,
        );
        outcome("applied", assessment, assessment.changed);
      },
      reportFailed: (_, { error }) => {
        log.error(`config reload failed: ${error}`);
        deps.publish({
          status: "failed",
          mode: deps.current()?.config.gateway.reload.mode ?? "hybrid",
          paths: [],
          ts: Date.now(),
        });
      },
      requestRestart: (_, assessment) => {
        faults.trip("reload:action");
        const paths = (assessment.mode === "restart" ? assessment.changed : assessment.restart).join(", ");
        log.info(`config change requires gateway restart (${paths})`);
        outcome("restarting", assessment, assessment.changed);
        // Leave this transition first: the restart tears this controller down.
        queueMicrotask(() => deps.requestRestart(`config change (${paths})`));
      },
    },
  });
}
