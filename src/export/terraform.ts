// The plan's desired resources as one Terraform JSON configuration (`.tf.json`): every account and
// region through its own hashicorp/aws provider alias (assuming the config's role there), each
// resource through its kind's `terraform` definition, with the same names, settings and tags the
// executor makes. One configuration holds every account, so Terraform orders everything itself,
// cross-account references included; what no resource can do is a `terraform_data` resource that
// runs the AWS CLI command when made and its undo when destroyed.
import { MplError } from '../errors.js';
import { kindDef, type Resource } from '../kinds/index.js';
import { topoSort } from '../plan/diff.js';
import { unsupportedExport } from './unsupported.js';
import type { TfCommand, TfPiece, TfResource, TfScope } from './tf-types.js';

/** The provider version the export is written and checked against (its schema, `terraform validate`). */
export const AWS_PROVIDER_VERSION = '5.100.0';

export interface TfStep {
  id: string;
  account: string;
  region: string;
  what: string;
  apply: string;
  undo: string;
}

export interface TfExport {
  config: Record<string, unknown>;
  /** The commands `terraform_data` runs (the AWS CLI must be installed where Terraform runs). */
  commands: TfStep[];
}

const REF = '__mplTf';
type Placeholder = { [REF]: [string, string] };
const isPlaceholder = (v: unknown): v is Placeholder =>
  typeof v === 'object' && v !== null && REF in (v as Record<string, unknown>);
const RAW = '__mplTfExpr';
type Raw = { [RAW]: string };
/** An expression the builder wrote (a data source's attribute, `each.value`): never escaped. */
const raw = (expr: string): Raw => ({ [RAW]: expr });
const isRaw = (v: unknown): v is Raw =>
  typeof v === 'object' && v !== null && RAW in (v as Record<string, unknown>);
const isCommand = (p: TfPiece): p is TfCommand => 'command' in p;

/** Terraform names: letters, digits and underscores, not starting with a digit, unique. */
function tfNames(resources: readonly Resource[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const r of resources) {
    const base =
      r.id
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'resource';
    const safe = /^[0-9]/.test(base) ? `r_${base}` : base;
    let name = safe;
    for (let i = 2; taken.has(name); i++) name = `${safe}_${i}`;
    taken.add(name);
    out.set(r.id, name);
  }
  return out;
}

/** A string Terraform must not interpolate: `${` and `%{` escaped. */
const literal = (s: string) => s.replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');

/** `${x}` as `${toset(x)}`: for_each takes a set. */
const toSet = (expr: string) => `\${toset(${expr.slice(2, -1)})}`;

const aliasOf = (a: { account: string; region: string }) => `a${a.account}_${a.region.replace(/-/g, '_')}`;

export function terraformConfig(
  stack: string,
  planned: readonly Resource[],
  roleOf: (account: string) => string | undefined,
): TfExport {
  const resources = topoSort([...planned]);
  const names = tfNames(resources);
  const byId = new Map(resources.map((r) => [r.id, r]));
  /** Each plan resource's main address (`aws_lb.shared_load_balancer`) and its Terraform pieces. */
  const address = new Map<string, string>();
  /** Every Terraform resource of a plan resource: what depends on it waits for all of them. */
  const everyPart = new Map<string, string[]>();
  const blocks: Array<{ r: Resource; name: string; res: TfResource }> = [];
  const data = new Map<string, { type: string; name: string; args: Record<string, unknown> }>();
  const commands: Array<{ r: Resource; name: string; step: TfStep }> = [];
  const unsupported = new Set<string>();

  for (const r of resources) {
    const def = kindDef(r.kind);
    if (!def.terraform) {
      unsupported.add(r.kind);
      continue;
    }
    const alias = aliasOf(r);
    const scope: TfScope = {
      ref: (id, attr) => {
        if (!byId.has(id))
          throw new MplError('INTERNAL', `export: ${r.id} refers to ${id}, which is not in the plan`);
        return { [REF]: [id, attr] } satisfies Placeholder;
      },
      data: (type, args, attr) => {
        const key = `${type}|${alias}|${JSON.stringify(args)}`;
        let d = data.get(key);
        if (!d) {
          const base = `${alias}_${Object.values(args).map(String).join('_')}`.replace(
            /[^A-Za-z0-9_]+/g,
            '_',
          );
          d = { type, name: base, args: { ...args, provider: `aws.${alias}` } };
          data.set(key, d);
        }
        return raw(`\${data.${type}.${d.name}.${attr}}`);
      },
      each: () => raw('${each.value}'),
    };
    const piece = (def.terraform as (p: unknown, x: TfScope, r: Resource) => TfPiece)(r.props, scope, r);
    const name = names.get(r.id) as string;
    if (isCommand(piece)) {
      commands.push({ r, name, step: { id: r.id, account: r.account, region: r.region, ...piece.command } });
      address.set(r.id, `terraform_data.${name}`);
      everyPart.set(r.id, [`terraform_data.${name}`]);
      continue;
    }
    const parts = 'resources' in piece ? piece.resources : { '': piece };
    const all: string[] = [];
    for (const [suffix, res] of Object.entries(parts)) {
      const n = suffix === '' ? name : `${name}_${suffix.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
      if (suffix === '') address.set(r.id, `${res.type}.${n}`);
      all.push(`${res.type}.${n}`);
      blocks.push({ r, name: n, res });
    }
    everyPart.set(r.id, all);
  }
  if (unsupported.size > 0) throw unsupportedExport('terraform', unsupported);

  const addressOf = (id: string, from: string): string => {
    const a = address.get(id);
    if (a === undefined)
      throw new MplError('INTERNAL', `export: ${from} refers to ${id}, which has no resource`);
    return a;
  };
  const resourceSection: Record<string, Record<string, unknown>> = {};
  const put = (type: string, name: string, body: Record<string, unknown>) => {
    (resourceSection[type] ??= {})[name] = body;
  };
  for (const { r, name, res } of blocks) {
    const referenced = new Set<string>();
    const resolve = (v: unknown): unknown => {
      if (isPlaceholder(v)) {
        const [id, attr] = v[REF];
        referenced.add(id);
        return `\${${addressOf(id, r.id)}.${attr}}`;
      }
      if (isRaw(v)) return v[RAW];
      if (typeof v === 'string') return literal(v);
      if (Array.isArray(v)) return v.map(resolve);
      if (typeof v === 'object' && v !== null)
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
      return v;
    };
    const args = resolve(res.args) as Record<string, unknown>;
    const self = address.get(r.id);
    // Every part of what it depends on, but the part a reference already orders (a resource made of
    // several, like an endpoint service's permissions, one per principal, has no main part).
    const dependsOn = [
      ...new Set(
        r.dependsOn.flatMap((d) =>
          (everyPart.get(d) ?? []).filter((a) => !(referenced.has(d) && a === address.get(d))),
        ),
      ),
    ]
      .filter((d) => d !== self)
      .sort();
    put(res.type, name, {
      provider: `aws.${aliasOf(r)}`,
      ...(res.forEach === undefined ? {} : { for_each: toSet(resolve(res.forEach) as string) }),
      ...args,
      ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
    });
  }

  // Commands: made after what they depend on; the undo runs when Terraform destroys them. A
  // destroy-time provisioner may only read `self`, so the commands and the profile are its input.
  const variables: Record<string, unknown> = {};
  const profileVar = (account: string) => {
    const v = `aws_cli_profile_${account}`;
    variables[v] = {
      type: 'string',
      default: '',
      description: `the AWS CLI profile for account ${account}'s commands (empty: the CLI's default credentials)`,
    };
    return v;
  };
  const shell = (cmd: string) =>
    `if [ -n "$MPL_PROFILE" ]; then export AWS_PROFILE="$MPL_PROFILE"; fi\n${cmd}`;
  const exec = (command: string, destroy: boolean) => ({
    'local-exec': {
      ...(destroy ? { when: 'destroy' } : {}),
      command,
      interpreter: ['bash', '-c'],
      environment: { MPL_PROFILE: '${self.input.profile}' },
    },
  });
  for (const { r, name, step } of commands) {
    const dependsOn = [...new Set(r.dependsOn.flatMap((d) => everyPart.get(d) ?? []))].sort();
    put('terraform_data', name, {
      input: {
        what: literal(step.what),
        apply: literal(shell(step.apply)),
        undo: literal(shell(step.undo)),
        profile: `\${var.${profileVar(r.account)}}`,
      },
      provisioner: [exec('${self.input.apply}', false), exec('${self.input.undo}', true)],
      ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
    });
  }

  const aliases = new Map<string, { account: string; region: string }>();
  for (const r of resources) aliases.set(aliasOf(r), { account: r.account, region: r.region });
  const dataSection: Record<string, Record<string, unknown>> = {};
  for (const d of data.values()) (dataSection[d.type] ??= {})[d.name] = d.args;
  const config: Record<string, unknown> = {
    '//': `msk-privatelink stack ${stack}: every account and region through its own provider alias`,
    terraform: {
      // terraform_data came with Terraform 1.4.
      required_version: '>= 1.4',
      required_providers: { aws: { source: 'hashicorp/aws', version: `>= ${AWS_PROVIDER_VERSION}` } },
    },
    provider: {
      aws: [...aliases].map(([alias, a]) => {
        const role = roleOf(a.account);
        return {
          alias,
          region: a.region,
          allowed_account_ids: [a.account],
          ...(role === undefined ? {} : { assume_role: [{ role_arn: role }] }),
        };
      }),
    },
    ...(Object.keys(variables).length > 0 ? { variable: variables } : {}),
    ...(Object.keys(dataSection).length > 0 ? { data: dataSection } : {}),
    resource: resourceSection,
  };
  return { config, commands: commands.map((c) => c.step) };
}
