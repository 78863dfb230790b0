// The plan's desired resources as CloudFormation: one template per account and region, each
// resource through its kind's `cloudformation` definition (the same names, settings and tags the
// executor makes). A value one account's template needs from another's (a consumer endpoint needs
// the provider's endpoint service name) is an output there and a parameter here; deploy the
// provider's template first. What CloudFormation cannot do is a manual step with its commands.
import { MplError } from '../errors.js';
import { kindDef, type Resource } from '../kinds/index.js';
import type { CfnManual, CfnPiece, CfnResource, CfnScope, CfnValue } from './cfn-types.js';

export interface CfnTemplate {
  file: string;
  account: string;
  region: string;
  body: Record<string, unknown>;
}

export interface ManualStep {
  /** The template (account and region) whose outputs the commands use. */
  file: string;
  id: string;
  what: string;
  apply: string;
  undo: string;
}

export interface CfnExport {
  templates: CfnTemplate[];
  manual: ManualStep[];
}

const REF = '__mplRef';
type Placeholder = { [REF]: [string, string] };
const isPlaceholder = (v: unknown): v is Placeholder =>
  typeof v === 'object' && v !== null && REF in (v as Record<string, unknown>);

/** A CloudFormation logical id from a plan id: letters and digits only, unique in the export. */
function logicalNames(resources: readonly Resource[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const r of resources) {
    const base =
      r.id
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0]?.toUpperCase() + w.slice(1))
        .join('') || 'Resource';
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    out.set(r.id, name);
  }
  return out;
}

const isManual = (p: CfnPiece): p is CfnManual => 'manual' in p;

export function cloudFormationTemplates(stack: string, resources: readonly Resource[]): CfnExport {
  const names = logicalNames(resources);
  const byId = new Map(resources.map((r) => [r.id, r]));
  const fileOf = (r: { account: string; region: string }) => `${stack}-${r.account}-${r.region}.cfn.json`;
  // Each template's resources by CloudFormation name, with the plan resource each comes from.
  const templates = new Map<
    string,
    CfnTemplate & { resources: Record<string, { r: Resource; res: CfnResource }> }
  >();
  const templateOf = (r: { account: string; region: string }) => {
    const file = fileOf(r);
    let t = templates.get(file);
    if (!t) {
      t = {
        file,
        account: r.account,
        region: r.region,
        resources: {},
        body: {
          AWSTemplateFormatVersion: '2010-09-09',
          Description: `msk-privatelink stack ${stack}: account ${r.account}, ${r.region}`,
          Parameters: {},
          Resources: {},
          Outputs: {},
        },
      };
      templates.set(file, t);
    }
    return t;
  };
  const section = (t: CfnTemplate, key: 'Parameters' | 'Outputs'): Record<string, unknown> =>
    t.body[key] as Record<string, unknown>;
  const pieces = new Map<string, CfnResource>();
  const manual: ManualStep[] = [];
  const unsupported = new Set<string>();
  const pendingOutputs: Array<[string, string]> = [];

  const targetOf = (id: string, from: string): Resource => {
    const t = byId.get(id);
    if (!t) throw new MplError('INTERNAL', `export: ${from} refers to ${id}, which is not in the plan`);
    return t;
  };
  /** The expression of `attr` of `id` in its own template. */
  const expression = (id: string, attr: string): CfnValue => {
    const name = names.get(id) as string;
    const own = pieces.get(id)?.attrs?.[attr];
    if (own) return own(name);
    return attr === 'Ref' ? { Ref: name } : { 'Fn::GetAtt': [name, attr] };
  };
  const outputName = (id: string, attr: string) => `${names.get(id)}${attr === 'Ref' ? 'Id' : attr}`;
  /** `attr` of `id` as an output of its template, answered as its name there. */
  const exportOutput = (id: string, attr: string): string => {
    const target = byId.get(id) as Resource;
    const name = outputName(id, attr);
    section(templateOf(target), 'Outputs')[name] = {
      Description: `${attr} of ${id}`,
      Value: expression(id, attr),
    };
    return name;
  };

  for (const r of resources) {
    const def = kindDef(r.kind);
    const t = templateOf(r);
    if (!def.cloudformation) {
      unsupported.add(r.kind);
      continue;
    }
    const scope: CfnScope = {
      ref: (id, attr) => {
        targetOf(id, r.id);
        return { [REF]: [id, attr] } satisfies Placeholder;
      },
      param: (name, description) => {
        section(t, 'Parameters')[name] = { Type: 'String', Description: description };
        return { Ref: name };
      },
      // Registered once every resource is known (the target's own attrs may come later).
      output: (id, attr) => {
        pendingOutputs.push([id, attr]);
        return `${fileOf(targetOf(id, r.id))}:${outputName(id, attr)}`;
      },
    };
    const piece = (def.cloudformation as (p: unknown, x: CfnScope, r: Resource) => CfnPiece)(
      r.props,
      scope,
      r,
    );
    if (isManual(piece)) {
      manual.push({ file: t.file, id: r.id, ...piece.manual });
      continue;
    }
    const parts = 'resources' in piece ? piece.resources : { '': piece };
    for (const [suffix, res] of Object.entries(parts)) {
      if (suffix === '') pieces.set(r.id, res);
      t.resources[`${names.get(r.id)}${suffix}`] = { r, res };
    }
  }
  for (const [id, attr] of pendingOutputs) exportOutput(id, attr);
  if (unsupported.size > 0) {
    throw new MplError(
      'EXPORT_UNSUPPORTED',
      `export --format cloudformation does not cover ${[...unsupported].sort().join(', ')} yet: this plan's pattern cannot be exported`,
    );
  }

  // Placeholders become intrinsics: in the same template directly, else through a parameter
  // filled from the other template's output.
  for (const t of templates.values()) {
    for (const [name, { r, res }] of Object.entries(t.resources)) {
      const referenced = new Set<string>();
      const resolve = (v: unknown): unknown => {
        if (isPlaceholder(v)) {
          const [id, attr] = v[REF];
          const target = byId.get(id) as Resource;
          if (fileOf(target) === t.file) {
            referenced.add(id);
            return expression(id, attr);
          }
          const out = exportOutput(id, attr);
          section(t, 'Parameters')[out] = {
            Type: 'String',
            Description: `output ${out} of ${fileOf(target)} (deploy that template first)`,
          };
          return { Ref: out };
        }
        if (Array.isArray(v)) return v.map(resolve);
        if (typeof v === 'object' && v !== null)
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
        return v;
      };
      const properties = resolve(res.properties);
      // Order what the plan orders and no reference already does (CloudFormation follows references).
      const dependsOn = r.dependsOn
        .filter((d) => !referenced.has(d) && pieces.has(d) && fileOf(byId.get(d) as Resource) === t.file)
        .map((d) => names.get(d) as string)
        .filter((d) => d !== name)
        .sort();
      (t.body.Resources as Record<string, unknown>)[name] = {
        Type: res.type,
        ...(dependsOn.length > 0 ? { DependsOn: dependsOn } : {}),
        Properties: properties,
      };
    }
  }
  for (const t of templates.values()) {
    for (const key of ['Parameters', 'Outputs'] as const)
      if (Object.keys(section(t, key)).length === 0) delete t.body[key];
    const steps = manual.filter((m) => m.file === t.file);
    if (steps.length > 0)
      t.body.Metadata = {
        'msk-privatelink': {
          manual: steps.map((m) => ({ id: m.id, what: m.what, apply: m.apply, undo: m.undo })),
        },
      };
  }
  const list = [...templates.values()].map(({ file, account, region, body }) => ({
    file,
    account,
    region,
    body,
  }));
  return { templates: list, manual };
}
