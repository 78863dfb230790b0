import { z } from 'zod';
import { ConfigSchema } from '../config/schema.js';
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

export function schemaCommand(io: Io): number {
  io.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
