import type { ConfigSnapshot } from "../config/load.js";

/**
 * The config the gateway runs with: the one copy every reader sees. A hot reload replaces it; an
 * in-process restart starts from the file again and, when the file is invalid, from this.
 */
export class RunningConfig {
  constructor(private current: ConfigSnapshot) {}

  get snapshot(): ConfigSnapshot {
    return this.current;
  }

  replace(snapshot: ConfigSnapshot): void {
    this.current = snapshot;
  }
}
