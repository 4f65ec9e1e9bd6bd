import { setTimeout as sleep } from "node:timers/promises";
import type { ProviderConfig } from "../../config/providers.js";
import { RunAbortedError, type Provider, type ProviderRequest, type ProviderResult } from "./provider.js";

export type EchoProviderConfig = Omit<Extract<ProviderConfig, { type: "echo" }>, "type">;

const DEFAULT_DELAY_MS = 20;

/** Words with their surrounding whitespace attached, so the pieces concatenate back to `text` exactly. */
export function splitIntoWords(text: string): string[] {
  return text.match(/\s*\S+\s*|^\s+$/g) ?? [];
}

/** The built-in provider: echoes the message word by word (out-of-the-box use, tests, benchmarks). */
export function createEchoProvider(id: string, config: EchoProviderConfig): Provider {
  const delayMs = config.delayMs ?? DEFAULT_DELAY_MS;

  async function run(request: ProviderRequest): Promise<ProviderResult> {
    const words = splitIntoWords(request.message);
    for (const [index, word] of words.entries()) {
      if (request.signal.aborted) throw new RunAbortedError();
      if (index > 0 && delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal: request.signal });
        } catch {
          throw new RunAbortedError();
        }
      }
      request.onDelta(word);
    }
    if (request.signal.aborted) throw new RunAbortedError();
    return { text: request.message };
  }

  return {
    id,
    kind: "echo",
    run,
    models: () => [{ id, provider: id, name: "echo" }],
  };
}
