/**
 * Waits for a condition instead of a fixed time: polls `probe` (sync or async) until it returns
 * something other than undefined, and fails naming `what` once `timeoutMs` has passed.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves once GET /readyz on this port answers 200. */
export function readyOn(port: number, timeoutMs = 10_000): Promise<true> {
  return waitFor(
    `/readyz 200 on ${port}`,
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => (response.status === 200 ? (true as const) : undefined),
        () => undefined,
      ),
    timeoutMs,
  );
}
