import { Flags } from "@oclif/core";
import { renderActionReport, type ActionReport } from "../../../service/action-report.js";
import { MAX_DURATION_MS } from "../../../protocol/duration.js";

export const serviceActionFlags = {
  json: Flags.boolean({ description: "Print the result as one JSON object." }),
};

export const readinessFlags = {
  timeout: Flags.integer({
    description: "How long to wait for the gateway to report ready (milliseconds).",
    default: 60_000,
    min: 1,
    max: MAX_DURATION_MS,
  }),
};

/** Prints a service action's report; resolves with its exit code. */
export function writeActionReport(report: ActionReport, json: boolean): number {
  const { stdout, stderr } = renderActionReport(report, json);
  for (const line of stdout) process.stdout.write(`${line}\n`);
  for (const line of stderr) process.stderr.write(`${line}\n`);
  return report.exitCode;
}

/** A single self-overwriting progress line on a terminal; nothing when piped or in JSON mode. */
export function ttyProgress(json: boolean): ((line: string | null) => void) | undefined {
  if (json || !process.stderr.isTTY) return undefined;
  let shown = false;
  return (line) => {
    if (line === null) {
      if (shown) process.stderr.write("\r\x1b[2K");
      shown = false;
      return;
    }
    process.stderr.write(`\r\x1b[2K${line}`);
    shown = true;
  };
}
