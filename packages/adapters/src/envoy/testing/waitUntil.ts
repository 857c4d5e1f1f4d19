/**
 * Polls `probe` until it returns a value other than undefined, every `intervalMs`, for at most `timeoutMs`; then
 * rejects saying what was awaited. For tests and examples waiting on another component (a client connecting, a
 * process answering), never on their own logic.
 */
export async function waitUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
