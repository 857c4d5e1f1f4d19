/**
 * Regenerates docs/spec.md and docs/spec.schema.json from the zod schema in src/spec. Run: `pnpm docs:spec`.
 * The schema is the single source of truth: a field's `.describe()` text is its documentation.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { rolloutSpecSchema } from '../src/spec/specSchema.js';
import { DEFAULT_STAGES, DEFAULT_STAGES_NOTES } from '../src/spec/defaultStages.js';
import { renderSpecReference, type JsonSchema } from './renderSpecReference.js';

const docsDir = fileURLToPath(new URL('../../../docs/', import.meta.url));
const schema = z.toJSONSchema(rolloutSpecSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
schema.$id = 'https://sluice.dev/schemas/rollout-spec-v1.json';
schema.title = 'Sluice rollout spec (sluice/v1)';
writeFileSync(`${docsDir}spec.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
writeFileSync(`${docsDir}spec.md`, renderSpecReference(schema, DEFAULT_STAGES, DEFAULT_STAGES_NOTES));
process.stdout.write(`wrote ${docsDir}spec.md and ${docsDir}spec.schema.json\n`);
