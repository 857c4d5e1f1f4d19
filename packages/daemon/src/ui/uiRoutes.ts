import type { EventLog } from '@sluice/core';
import type { ServerResponse } from 'node:http';
import { DaemonError } from '../errors.js';
import type { Route } from '../http/router.js';
import { asset, isAssetName } from '../report/assets.js';
import type { RolloutService } from '../runtime/RolloutService.js';
import { ReportCache } from './reportCache.js';
import { UI_SECURITY_HEADERS, uiPageHtml } from './uiPage.js';

export interface UiRouteDependencies {
  service: RolloutService;
  log: EventLog;
  now?: () => number;
}

/**
 * The dashboard (docs/dashboard.md). Its page and assets hold no rollout data and are served without the token
 * (`open`), so a browser can load them and then ask for the token; everything with data goes through the API's rules:
 * GET /v1/rollouts/:id/report is a read (token unless --open-reads), commands are mutations (token always).
 */
export function uiRoutes(deps: UiRouteDependencies): Route[] {
  const reports = new ReportCache(deps.log, deps.now);
  const page = (title: string) => (res: ServerResponse) => {
    send(res, 'text/html; charset=utf-8', uiPageHtml(title));
    return undefined;
  };
  return [
    { method: 'GET', pattern: '/ui', mutating: false, open: true, handler: ({ res }) => page('Sluice — rollouts')(res) },
    { method: 'GET', pattern: '/ui/rollouts/:id', mutating: false, open: true, handler: ({ res, params }) => page(`Sluice — ${params.id!}`)(res) },
    {
      method: 'GET',
      pattern: '/ui/assets/:name',
      mutating: false,
      open: true,
      handler: ({ res, params }) => {
        const name = params.name!;
        if (!isAssetName(name)) throw new DaemonError('SLUICE_E_ROUTE_NOT_FOUND', `no dashboard asset "${name}"`);
        const { text, contentType } = asset(name);
        send(res, contentType, text);
        return undefined;
      },
    },
    {
      method: 'GET',
      pattern: '/v1/rollouts/:id/report',
      mutating: false,
      handler: ({ params }) => {
        deps.service.get(params.id!); // 404 with the API's message for an unknown rollout
        return { status: 200, body: reports.get(params.id!) };
      },
    },
  ];
}

function send(res: ServerResponse, contentType: string, text: string): void {
  res.writeHead(200, { ...UI_SECURITY_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
