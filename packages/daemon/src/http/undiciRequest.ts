/**
 * undici's `request`, imported at the first call instead of when the daemon starts. undici is ~110 modules and ~70 ms
 * of a start on a 2-core machine (docs/startup.md), and the daemon sends requests only for rollouts that have
 * webhooks, approvals, health probes or a Prometheus source. Same signature and result as undici's; a failed import
 * is not kept, so the next call tries again.
 */
type UndiciRequest = typeof import('undici').request;

let loading: Promise<UndiciRequest> | undefined;

export function request(...args: Parameters<UndiciRequest>): ReturnType<UndiciRequest> {
  loading ??= import('undici').then(
    (undici) => undici.request,
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading.then((load) => load(...args));
}
