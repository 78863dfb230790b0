import { z } from 'zod';
import { ConfigSchema } from '../config/schema.js';
import { PlanJsonSchema } from '../plan/plan-json.js';
import type { Io } from './io.js';

/** The config file's JSON Schema, for editor completion (e.g. yaml-language-server's $schema). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  return {
    ...schema,
    $id: 'https://msk-privatelink.dev/schema/config.json',
    title: 'msk-privatelink config',
  };
}

/** The JSON Schema of `plan --json`'s output, for CI that validates or reviews plans. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PlanJsonSchema, {
    io: 'output',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  return {
    ...schema,
    $id: 'https://msk-privatelink.dev/schema/plan.json',
    title: 'msk-privatelink plan --json',
  };
}

export function schemaCommand(io: Io, opts: { plan?: boolean } = {}): number {
  const schema = opts.plan === true ? planJsonSchema() : configJsonSchema();
  io.out(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
