import type { ProvidersConfig } from "../../config/providers.js";
import { createCommandProvider } from "./command.js";
import { createEchoProvider } from "./echo.js";
import { createOpenAIProvider } from "./openai.js";
import { ProviderError, type ModelInfo, type Provider } from "./provider.js";

export interface ResolvedModel {
  provider: Provider;
  model: string | null;
}

/** Providers by name: the configured ones plus the built-in `echo`; created on first use. */
export class ProviderRegistry {
  private readonly instances = new Map<string, Provider>();

  constructor(private readonly config: ProvidersConfig) {}

  private provider(id: string): Provider {
    let instance = this.instances.get(id);
    if (instance) return instance;
    const entry = this.config[id] ?? (id === "echo" ? { type: "echo" as const } : undefined);
    if (!entry) {
      throw new ProviderError("PROVIDER_NOT_FOUND", `unknown provider "${id}" (configure providers.${id})`);
    }
    if (entry.type === "echo") instance = createEchoProvider(id, entry);
    else if (entry.type === "command") instance = createCommandProvider(id, entry);
    else instance = createOpenAIProvider(id, entry);
    this.instances.set(id, instance);
    return instance;
  }

  /** `echo`, `<provider>` or `<provider>/<model>` (the model part may itself contain slashes). */
  resolve(modelRef: string): ResolvedModel {
    const slash = modelRef.indexOf("/");
    const id = slash < 0 ? modelRef : modelRef.slice(0, slash);
    const model = slash < 0 ? null : modelRef.slice(slash + 1);
    return { provider: this.provider(id), model };
  }

  models(): ModelInfo[] {
    const ids = new Set(["echo", ...Object.keys(this.config)]);
    return [...ids].flatMap((id) => this.provider(id).models());
  }
}
