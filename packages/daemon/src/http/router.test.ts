import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BearerAuth } from './auth.js';
import { Router } from './router.js';

const noop = () => undefined;

describe('router', () => {
  const router = new Router()
    .add({ method: 'GET', pattern: '/v1/rollouts', mutating: false, handler: noop })
    .add({ method: 'GET', pattern: '/v1/rollouts/:id', mutating: false, handler: noop })
    .add({ method: 'POST', pattern: '/v1/rollouts/:id/commands/:command', mutating: true, handler: noop });

  it('matches exact segments and decodes parameters', () => {
    expect(router.match('GET', '/v1/rollouts/checkout%2Dv2').params).toEqual({ id: 'checkout-v2' });
    expect(router.match('POST', '/v1/rollouts/a/commands/promote-full').params).toEqual({ id: 'a', command: 'promote-full' });
  });

  it('answers 405 for a known path with another method and 404 for an unknown path', () => {
    expect(() => router.match('DELETE', '/v1/rollouts/a')).toThrow(expect.objectContaining({ code: 'SLUICE_E_METHOD_NOT_ALLOWED' }));
    expect(() => router.match('GET', '/v1/nothing')).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROUTE_NOT_FOUND' }));
    expect(() => router.match('GET', '/v1/rollouts/a/b')).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROUTE_NOT_FOUND' }));
  });
});

describe('bearer auth', () => {
  const auth = new BearerAuth('s3cret-token-0123456789');
  const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

  it('accepts the token and refuses a missing, wrong or differently sized one', () => {
    expect(() => auth.check(request('Bearer s3cret-token-0123456789'))).not.toThrow();
    expect(() => auth.check(request())).toThrow(/missing/);
    expect(() => auth.check(request('Bearer s3cret-token-0123456780'))).toThrow(/does not match/);
    expect(() => auth.check(request('Bearer s3cret'))).toThrow(expect.objectContaining({ code: 'SLUICE_E_UNAUTHORIZED' }));
    expect(() => auth.check(request('Basic s3cret-token-0123456789'))).toThrow(expect.objectContaining({ code: 'SLUICE_E_UNAUTHORIZED' }));
  });
});
