import { z } from 'zod';
import type { AdapterLogger } from '../createAdapter.js';
import { parseAdapterOptions, type OptionsLocation } from '../errors.js';
import { createLineTail, tailOptionsShape, type AccessLogTail } from '../tail/accessLogTail.js';
import { parseAccessLogLine } from './accessLogLine.js';

export type { AccessLogStats, AccessLogTail } from '../tail/accessLogTail.js';

/** The access-log tail's options live in a spec under `sources.accessLog`; problems are reported at that path. */
export const ACCESS_LOG_OPTIONS_LOCATION: OptionsLocation = { label: 'sources.accessLog (nginx access-log source)', pathPrefix: ['sources', 'accessLog'] };

export const accessLogOptionsSchema = z
  .object({
    ...tailOptionsShape,
    path: tailOptionsShape.path.describe('The JSON access log nginx writes with the sluice_json log_format'),
    baselineAddresses: z.array(z.string().min(1).max(256)).min(1).max(256).describe('Upstream addresses of the stable version, as in $upstream_addr'),
    candidateAddresses: z.array(z.string().min(1).max(256)).min(1).max(256).describe('Upstream addresses of the candidate version'),
    latencyFrom: z.enum(['request_time', 'upstream_response_time']).default('request_time').describe('Latency source'),
    variantField: z.string().min(1).max(64).nullable().default('variant').describe('Field holding $sluice_variant, used when the address matches neither list'),
  })
  .strict()
  .refine((o) => !o.baselineAddresses.some((a) => o.candidateAddresses.includes(a)), { message: 'an address is listed as both baseline and candidate', path: ['candidateAddresses'] });

export type AccessLogOptions = z.input<typeof accessLogOptionsSchema>;

/**
 * Tails nginx's JSON access log (the sluice_json log_format) with the shared access-log tail (tail/accessLogTail.ts):
 * rotation by rename and truncation, partial lines, bounded reads; each line becomes a sample by its upstream address.
 */
export function createAccessLogTail(input: AccessLogOptions, logger?: AdapterLogger): AccessLogTail {
  const options = parseAdapterOptions('nginx access-log', accessLogOptionsSchema, input, ACCESS_LOG_OPTIONS_LOCATION);
  const mapping = { baselineAddresses: options.baselineAddresses, candidateAddresses: options.candidateAddresses, latencyFrom: options.latencyFrom, variantField: options.variantField };
  return createLineTail(options, (line) => parseAccessLogLine(line, mapping), logger);
}
