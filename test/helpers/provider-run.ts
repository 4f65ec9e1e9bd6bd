import type { Provider, ProviderRequest, ProviderResult } from "../../src/agents/providers/provider.js";
import type { SubsystemLogger } from "../../src/log/logger.js";

export interface LogEntry {
  level: keyof SubsystemLogger;
  message: string;
  meta?: Record<string, unknown>;
}

/** One provider run as a test drives it: the request, what it streamed and logged, and its abort switch. */
export interface ProviderRun {
  request: ProviderRequest;
  deltas: string[];
  logs: LogEntry[];
  /** Runs `provider` with this request; settleAllProviderRuns() can later abort and await it. */
  start(provider: Provider): Promise<ProviderResult>;
  abort(): void;
}

export type ProviderRunOptions = Partial<Omit<ProviderRequest, "signal" | "onDelta" | "log">> & {
  /** Called after each delta is recorded (e.g. to abort mid-stream). */
  onDelta?: (text: string) => void;
};

const started: { abort(): void; settled: Promise<unknown> }[] = [];

function recordingLogger(logs: LogEntry[]): SubsystemLogger {
  const at =
    (level: keyof SubsystemLogger) =>
    (message: string, meta?: Record<string, unknown>): void => {
      logs.push({ level, message, meta });
    };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug"), trace: at("trace") };
}

/** A ProviderRequest with its own AbortController, recording deltas and log lines. */
export function makeProviderRun(options: ProviderRunOptions = {}): ProviderRun {
  const { onDelta, ...fields } = options;
  const controller = new AbortController();
  const deltas: string[] = [];
  const logs: LogEntry[] = [];
  const request: ProviderRequest = {
    runId: "run-1",
    sessionKey: "agent:main:main",
    agentId: "main",
    model: null,
    message: "hello",
    history: () => [],
    workspace: process.cwd(),
    ...fields,
    signal: controller.signal,
    onDelta(text) {
      deltas.push(text);
      onDelta?.(text);
    },
    log: recordingLogger(logs),
  };
  const abort = () => controller.abort();
  return {
    request,
    deltas,
    logs,
    abort,
    start(provider) {
      const result = provider.run(request);
      started.push({ abort, settled: result.catch(() => undefined) });
      return result;
    },
  };
}

/** Aborts every run started since the last call and waits until each has settled (for afterEach). */
export async function settleAllProviderRuns(): Promise<void> {
  const runs = started.splice(0);
  for (const run of runs) run.abort();
  await Promise.all(runs.map((run) => run.settled));
}
