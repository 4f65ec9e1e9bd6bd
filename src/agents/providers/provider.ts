import type { SubsystemLogger } from "../../log/logger.js";

export interface TranscriptTurn {
  role: "user" | "assistant" | "system";
  text: string;
}

export interface ProviderRequest {
  runId: string;
  sessionKey: string;
  agentId: string;
  /** The model name inside the provider (`llama3.1` of `ollama/llama3.1`), or null for the provider default. */
  model: string | null;
  message: string;
  /** Earlier turns of the session, oldest first (the current message is not included); read on demand. */
  history(): TranscriptTurn[];
  /** The agent's workspace directory (cwd of command agents). */
  workspace: string;
  /** The port of the gateway running this request. */
  gatewayPort?: number;
  /** Aborted on chat.abort, timeout or shutdown; run() must then settle promptly and leave nothing running. */
  signal: AbortSignal;
  /** New assistant text, in order, as it is produced. */
  onDelta(text: string): void;
  log: SubsystemLogger;
}

export interface ProviderResult {
  text: string;
  meta?: Record<string, unknown>;
}

export interface ModelInfo {
  id: string;
  provider: string;
  name: string;
}

/** A source of assistant output: echo, a local command, an OpenAI-compatible endpoint. */
export interface Provider {
  readonly id: string;
  readonly kind: "echo" | "command" | "openai";
  run(request: ProviderRequest): Promise<ProviderResult>;
  models(): ModelInfo[];
}

export type ProviderErrorCode =
  "PROVIDER_FAILED" | "PROVIDER_AUTH" | "PROVIDER_NOT_FOUND" | "PROVIDER_UNREACHABLE";

/** A provider failure a user can act on; `message` is what the run's error says. */
export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The error run() rejects with when `signal` aborted it. */
export class RunAbortedError extends Error {
  readonly code = "RUN_ABORTED";
  constructor() {
    super("run aborted");
  }
}
