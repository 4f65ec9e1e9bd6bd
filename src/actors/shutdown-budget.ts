import type { ShutdownBudget } from "../machines/gateway.machine.js";

/** A stop must be over within this (REFERENCE §1.6: the force-exit timer of a stop is 5 s). */
const STOP_DEADLINE_MS = 5_000;
/** What a restart tells clients to expect (REFERENCE §3.5: `restartExpectedMs: 1500`). */
export const RESTART_EXPECTED_MS = 1_500;
/** After the close frame a connection waits this long for the peer's, then ends the socket. */
export const CLOSE_GRACE_MS = 1_000;
/** After `shutdown`, every socket gets this long to close (a little more than its own close grace). */
const CLOSE_WAIT_MS = CLOSE_GRACE_MS + 1_000;
/** Closing the listeners and the store, after the sockets. */
const TEARDOWN_MS = 1_000;

/**
 * The one place that decides how long a stop or a restart may take, step by step. A stop fits the
 * 5 s deadline, so runs get what is left after closing (at most the configured drain); a restart
 * gives runs the configured `gateway.restart.drainTimeoutMs` and its deadline grows with it.
 */
export function shutdownBudget(kind: "stop" | "restart", configuredDrainMs: number): ShutdownBudget {
  if (kind === "stop") {
    const drainMs = Math.min(configuredDrainMs, STOP_DEADLINE_MS - CLOSE_WAIT_MS - TEARDOWN_MS);
    return { deadlineMs: STOP_DEADLINE_MS, drainMs, closeWaitMs: CLOSE_WAIT_MS };
  }
  return {
    deadlineMs: configuredDrainMs + CLOSE_WAIT_MS + TEARDOWN_MS + STOP_DEADLINE_MS,
    drainMs: configuredDrainMs,
    closeWaitMs: CLOSE_WAIT_MS,
  };
}
