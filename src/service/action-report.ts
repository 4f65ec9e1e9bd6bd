import type { ServiceManager } from "./service-manager.js";

export type ServiceAction = "install" | "uninstall" | "start" | "stop" | "restart";

/** REFERENCE §1.9: the `--json` envelope of every service action. */
export interface ActionEnvelope {
  ok: boolean;
  action: ServiceAction;
  result?: string;
  message?: string;
  error?: string;
  hints?: string[];
  warnings?: string[];
  service?: { label: string; loaded: boolean; loadedText: string; notLoadedText: string };
}

/**
 * Collects what an action reports, once, for both renderings: the JSON envelope and the human lines
 * (stdout for outcomes, stderr for problems and what to do about them).
 */
export class ActionReport {
  readonly out: string[] = [];
  readonly err: string[] = [];
  private readonly messages: string[] = [];
  private readonly hints: string[] = [];
  private readonly warnings: string[] = [];
  private errorText: string | undefined;
  private resultText: string | undefined;
  private service: ActionEnvelope["service"];
  exitCode = 0;

  constructor(readonly action: ServiceAction) {}

  /** An outcome line (stdout); the first few become the envelope's `message`. */
  say(line: string): this {
    this.out.push(line);
    this.messages.push(line);
    return this;
  }

  /** Detail for humans only (stdout), e.g. lines the JSON carries elsewhere. */
  detail(line: string): this {
    this.out.push(line);
    return this;
  }

  warn(line: string, ...more: string[]): this {
    this.err.push(line, ...more);
    this.warnings.push([line, ...more].join("\n"));
    return this;
  }

  /** A command or step the user can take next; shown as `prefix<hint>` on stderr. */
  hint(hint: string, prefix = "Tip: "): this {
    this.err.push(`${prefix}${hint}`);
    this.hints.push(hint);
    return this;
  }

  /** A plain stderr line that belongs with the hints (a heading). */
  note(line: string): this {
    this.err.push(line);
    return this;
  }

  fail(error: string, exitCode = 1): this {
    this.err.push(...error.split("\n"));
    this.errorText = this.errorText ? `${this.errorText}\n${error}` : error;
    this.exitCode = exitCode;
    return this;
  }

  result(result: string): this {
    this.resultText = result;
    return this;
  }

  withService(manager: ServiceManager, loaded: boolean): this {
    this.service = {
      label: manager.label,
      loaded,
      loadedText: manager.loadedText,
      notLoadedText: manager.notLoadedText,
    };
    return this;
  }

  envelope(): ActionEnvelope {
    return {
      ok: this.exitCode === 0,
      action: this.action,
      ...(this.resultText ? { result: this.resultText } : {}),
      ...(this.messages.length > 0 ? { message: this.messages.join("\n") } : {}),
      ...(this.errorText ? { error: this.errorText } : {}),
      ...(this.hints.length > 0 ? { hints: this.hints } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      ...(this.service ? { service: this.service } : {}),
    };
  }
}

/** The human rendering of a report, or its JSON envelope on stdout. */
export function renderActionReport(
  report: ActionReport,
  json: boolean,
): { stdout: string[]; stderr: string[] } {
  if (json) return { stdout: [JSON.stringify(report.envelope(), null, 2)], stderr: [] };
  return { stdout: report.out, stderr: report.err };
}
