import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { ConfigSchema, InventorySchema, type Config, type Inventory } from './schema.js';

/** Formats a zod issue path the way the docs name fields: consumers[0].subnets[1].azId. */
export function fieldPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Turns a zod failure into one InputError: the first issue names file and field; the rest go in detail. */
export function toInputError(file: string, error: z.ZodError): InputError {
  const lines = error.issues.map((i) => `${fieldPath(i.path)}: ${describeIssue(i)}`);
  const [first, ...rest] = lines;
  const detail =
    rest.length > 0 ? `also: ${rest.slice(0, 4).join('; ')}${rest.length > 4 ? '; ...' : ''}` : undefined;
  const [where, ...msg] = (first as string).split(': ');
  return new InputError(`${file}: ${where}`, msg.join(': '), detail);
}

function describeIssue(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys')
    return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return 'is required';
  return i.message;
}

/** Parses YAML or JSON text (JSON is YAML, but JSON files get JSON's own error messages). */
export function parseDocument(file: string, text: string): unknown {
  try {
    if (file.endsWith('.json')) return JSON.parse(text) as unknown;
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' }) as unknown;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new InputError(file, `is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${msg}`);
  }
}

/** Nothing but whitespace, comments and document markers: YAML reads it as null, JSON not at all. */
function isBlank(file: string, text: string): boolean {
  const body = text.replace(/^\uFEFF/, '');
  if (file.endsWith('.json')) return body.trim() === '';
  return body.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l) || /^(---|\.\.\.)\s*(#.*)?$/.test(l));
}

/** The fields a document must have (those without a default), named in "the file is empty". */
function requiredFields(schema: z.ZodObject): string {
  const names = Object.entries(schema.shape)
    .filter(([, s]) => !s.safeParse(undefined).success)
    .map(([k]) => k);
  return names.length > 1
    ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
    : names.join('');
}

/** An empty file says what belongs in it, not "expected object, received null". */
function emptyFileError(file: string, kind: string, schema: z.ZodObject, referencedBy?: string): InputError {
  return new InputError(
    file,
    `the file is empty: expected ${kind} with ${requiredFields(schema)}`,
    referencedBy === undefined ? undefined : `(named by ${referencedBy})`,
  );
}

async function readText(file: string, what: string, referencedBy?: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EISDIR'
          ? 'is a folder'
          : `cannot be read (${code ?? String(e)})`;
    if (referencedBy !== undefined) throw new InputError(referencedBy, `${what} ${file} ${problem}`);
    throw new InputError(file, `${what} ${problem}`);
  }
}

/** Reads and parses a file; `referencedBy` names the config field that pointed at it, for the message. */
export async function readDocument(file: string, what: string, referencedBy?: string): Promise<unknown> {
  return parseDocument(file, await readText(file, what, referencedBy));
}

/** Reads, parses and validates a config or inventory file, an empty one named as such. */
async function loadDocument<S extends z.ZodObject>(
  schema: S,
  file: string,
  kind: string,
  what: string,
  referencedBy?: string,
): Promise<z.infer<S>> {
  const text = await readText(file, what, referencedBy);
  if (isBlank(file, text)) throw emptyFileError(file, kind, schema, referencedBy);
  return validate(schema, file, parseDocument(file, text));
}

export function validate<S extends z.ZodType>(schema: S, file: string, data: unknown): z.infer<S> {
  const res = schema.safeParse(data);
  if (!res.success) throw toInputError(file, res.error);
  return res.data;
}

export async function loadConfig(file: string): Promise<Config> {
  const config = await loadDocument(ConfigSchema, file, 'a config', 'config file');
  if (config.cluster.brokersFile !== undefined) {
    config.cluster.brokersFile = path.resolve(path.dirname(file), config.cluster.brokersFile);
  }
  for (const key of ['clientCertFile', 'clientKeyFile'] as const) {
    const v = config.pattern2.admin[key];
    if (v !== undefined) config.pattern2.admin[key] = path.resolve(path.dirname(file), v);
  }
  if (config.pattern2.admin.caFile !== undefined) {
    config.pattern2.admin.caFile = path.resolve(path.dirname(file), config.pattern2.admin.caFile);
  }
  if (config.state.path !== undefined)
    config.state.path = path.resolve(path.dirname(file), config.state.path);
  return config;
}

export async function loadInventory(file: string, referencedBy?: string): Promise<Inventory> {
  return loadDocument(InventorySchema, file, 'an inventory', 'inventory file', referencedBy);
}
