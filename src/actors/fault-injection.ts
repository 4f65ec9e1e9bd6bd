/** Where a test may inject a failure into a supervised child. */
export const FAULT_POINTS = {
  /** An action of the reload controller throws (when it reports a planned change). */
  "reload:action": "reload controller action",
  /** An action of the gateway actor throws (when it announces a drain). */
  "gateway:action": "gateway actor action",
  /** The gateway's background services (tick, health) throw as they start. */
  "gateway:services": "gateway services",
  /** A tick timer callback throws: an exception outside any actor. */
  "gateway:tick": "gateway tick",
  /** Closing the gateway never finishes (a stop that overruns its budget). */
  "gateway:close": "gateway close",
} as const;

export type FaultPoint = keyof typeof FAULT_POINTS;

export class InjectedFault extends Error {
  constructor(point: FaultPoint) {
    super(`injected fault (${point})`);
  }
}

/**
 * Test-only failure injection, driven by `CODERCLAW_FAULT_INJECTION=<point>[@<n>][,...]`: the named
 * point throws on its n-th pass (default the first), once. Unset, every point is inert; unknown points
 * are ignored.
 */
export class FaultInjection {
  private readonly armed = new Map<FaultPoint, number>();

  static fromEnv(env: NodeJS.ProcessEnv): FaultInjection {
    const faults = new FaultInjection();
    for (const entry of (env.CODERCLAW_FAULT_INJECTION ?? "").split(",")) {
      const [point, hit] = entry.trim().split("@");
      const nth = hit === undefined ? 1 : Number.parseInt(hit, 10);
      if (point && point in FAULT_POINTS && Number.isInteger(nth) && nth > 0) {
        faults.armed.set(point as FaultPoint, nth);
      }
    }
    return faults;
  }

  /** Never settles when this pass is the armed one. */
  stall(point: FaultPoint): Promise<void> {
    try {
      this.trip(point);
      return Promise.resolve();
    } catch {
      return new Promise<void>(() => {});
    }
  }

  /** Throws when this pass is the armed one. */
  trip(point: FaultPoint): void {
    const remaining = this.armed.get(point);
    if (remaining === undefined) return;
    if (remaining > 1) {
      this.armed.set(point, remaining - 1);
      return;
    }
    this.armed.delete(point);
    throw new InjectedFault(point);
  }
}

export const NO_FAULTS = new FaultInjection();
