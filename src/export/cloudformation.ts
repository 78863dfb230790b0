// The plan's desired resources as CloudFormation: one template per account and region, each
// resource through its kind's `cloudformation` definition (the same names, settings and tags the
// executor makes). A value one account's template needs from another's (a consumer endpoint needs
// the provider's endpoint service name) is an output there and a parameter here. What
// CloudFormation cannot do is a manual step with its commands; a resource that must wait for such a
// step (a "gate": pattern 2's names after the brokers advertise their ports) goes to a later
// template of its account, so the runbook can deploy, run the step, and deploy again.
import { MplError } from '../errors.js';
import { kindDef, type Resource } from '../kinds/index.js';
import { topoSort } from '../plan/diff.js';
import { unsupportedExport } from './unsupported.js';
import type { CfnManual, CfnPiece, CfnResource, CfnScope, CfnValue } from './cfn-types.js';

export interface CfnTemplate {
  file: string;
  account: string;
  region: string;
  /** 0 for an account's first template; n for the one deployed after the nth gate of its resources. */
  stage: number;
  body: Record<string, unknown>;
}

export interface ManualStep {
  /** The account's first template, whose Metadata lists the step too. */
  file: string;
  account: string;
  region: string;
  id: string;
  what: string;
  apply: string;
  undo: string;
}

/** The runbook, in order: deploy a template, or run a manual step. Undo is the reverse. */
export type RunbookStep = { deploy: string } | { run: string };

export interface CfnExport {
  templates: CfnTemplate[];
  manual: ManualStep[];
  runbook: RunbookStep[];
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

type Placed = CfnTemplate & { resources: Record<string, { r: Resource; res: CfnResource }> };

export function cloudFormationTemplates(stack: string, planned: readonly Resource[]): CfnExport {
  const resources = topoSort([...planned]);
  const names = logicalNames(resources);
  const byId = new Map(resources.map((r) => [r.id, r]));
  const fileOf = (a: { account: string; region: string }, stage: number) =>
    `${stack}-${a.account}-${a.region}${stage === 0 ? '' : `-after${stage === 1 ? '' : stage}`}.cfn.json`;
  const templates = new Map<string, Placed>();
  const templateOf = (r: { account: string; region: string }, stage: number): Placed => {
    const file = fileOf(r, stage);
    let t = templates.get(file);
    if (!t) {
      t = {
        file,
        account: r.account,
        region: r.region,
        stage,
        resources: {},
        body: {
          AWSTemplateFormatVersion: '2010-09-09',
          Description: `msk-privatelink stack ${stack}: account ${r.account}, ${r.region}${stage === 0 ? '' : `, after step ${stage}`}`,
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
  /** Each CloudFormation resource's stage; each manual step, its definition. */
  const stageOf = new Map<string, number>();
  const manualOf = new Map<string, { step: ManualStep; gate: boolean }>();
  const unsupported = new Set<string>();
  const pendingOutputs: Array<[string, string]> = [];

  const targetOf = (id: string, from: string): Resource => {
    const t = byId.get(id);
    if (!t) throw new MplError('INTERNAL', `export: ${from} refers to ${id}, which is not in the plan`);
    return t;
  };
  const fileOfId = (id: string): string => {
    const stage = stageOf.get(id);
    if (stage === undefined) throw new MplError('INTERNAL', `export: ${id} is asked for before it is placed`);
    return fileOf(byId.get(id) as Resource, stage);
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
    const name = outputName(id, attr);
    section(templates.get(fileOfId(id)) as Placed, 'Outputs')[name] = {
      Description: `${attr} of ${id}`,
      Value: expression(id, attr),
    };
    return name;
  };
  /** The CloudFormation resources a manual step waits for, through other manual steps too. */
  const resourcesBefore = (id: string, seen = new Set<string>()): string[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    return (byId.get(id)?.dependsOn ?? []).flatMap((d) =>
      manualOf.has(d) ? resourcesBefore(d, seen) : stageOf.has(d) ? [d] : [],
    );
  };
  const sameTemplate = (a: Resource, b: Resource) => a.account === b.account && a.region === b.region;

  for (const r of resources) {
    const def = kindDef(r.kind);
    if (!def.cloudformation) {
      unsupported.add(r.kind);
      continue;
    }
    const params: Array<[string, string]> = [];
    const scope: CfnScope = {
      ref: (id, attr) => {
        targetOf(id, r.id);
        return { [REF]: [id, attr] } satisfies Placeholder;
      },
      param: (name, description) => {
        params.push([name, description]);
        return { Ref: name };
      },
      // Registered once every resource is placed (the target's own attrs may come later).
      output: (id, attr) => {
        targetOf(id, r.id);
        pendingOutputs.push([id, attr]);
        return `${fileOfId(id)}:${outputName(id, attr)}`;
      },
    };
    const piece = (def.cloudformation as (p: unknown, x: CfnScope, r: Resource) => CfnPiece)(
      r.props,
      scope,
      r,
    );
    if (isManual(piece)) {
      const { gate, ...m } = piece.manual;
      manualOf.set(r.id, {
        step: { file: fileOf(r, 0), account: r.account, region: r.region, id: r.id, ...m },
        gate: gate === true,
      });
      continue;
    }
    // After every resource of its account it depends on, and, past a gate, after the resources of
    // its account the gated step waits for.
    let stage = 0;
    for (const d of r.dependsOn) {
      const dep = byId.get(d);
      if (dep === undefined) continue;
      const own = stageOf.get(d);
      if (own !== undefined && sameTemplate(dep, r)) stage = Math.max(stage, own);
      if (manualOf.get(d)?.gate)
        for (const e of resourcesBefore(d))
          if (sameTemplate(byId.get(e) as Resource, r))
            stage = Math.max(stage, (stageOf.get(e) as number) + 1);
    }
    stageOf.set(r.id, stage);
    const t = templateOf(r, stage);
    for (const [name, description] of params)
      section(t, 'Parameters')[name] = { Type: 'String', Description: description };
    const parts = 'resources' in piece ? piece.resources : { '': piece };
    for (const [suffix, res] of Object.entries(parts)) {
      if (suffix === '') pieces.set(r.id, res);
      t.resources[`${names.get(r.id)}${suffix}`] = { r, res };
    }
  }
  if (unsupported.size > 0) throw unsupportedExport('cloudformation', unsupported);
  for (const [id, attr] of pendingOutputs) exportOutput(id, attr);

  // The runbook's order: a unit (a template or a manual step) after the units it depends on.
  const unitOf = (id: string) => (manualOf.has(id) ? `run:${id}` : `deploy:${fileOfId(id)}`);
  const after = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => {
    if (from === to) return;
    let s = after.get(to);
    if (!s) after.set(to, (s = new Set()));
    s.add(from);
  };
  const units: string[] = [];
  for (const r of resources) {
    const u = unitOf(r.id);
    if (!units.includes(u)) units.push(u);
    for (const d of r.dependsOn) {
      if (!byId.has(d)) continue;
      // A step that is no gate (accepting an endpoint) runs after its resources; what depends on
      // it in the plan does not wait for it in CloudFormation.
      if (manualOf.has(d) && !manualOf.has(r.id) && !manualOf.get(d)?.gate) continue;
      edge(unitOf(d), u);
    }
  }

  // Placeholders become intrinsics: in the same template directly, else through a parameter
  // filled from the other template's output.
  for (const t of templates.values()) {
    for (const [name, { r, res }] of Object.entries(t.resources)) {
      const referenced = new Set<string>();
      const resolve = (v: unknown): unknown => {
        if (isPlaceholder(v)) {
          const [id, attr] = v[REF];
          const file = fileOfId(id);
          if (file === t.file) {
            referenced.add(id);
            return expression(id, attr);
          }
          edge(`deploy:${file}`, `deploy:${t.file}`);
          const out = exportOutput(id, attr);
          section(t, 'Parameters')[out] = {
            Type: 'String',
            Description: `output ${out} of ${file} (deploy that template first)`,
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
        .filter((d) => !referenced.has(d) && pieces.has(d) && fileOfId(d) === t.file)
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

  // Kahn's order, the plan's order among units that are ready together.
  const runbook: RunbookStep[] = [];
  const done = new Set<string>();
  while (done.size < units.length) {
    const next = units.find((u) => !done.has(u) && [...(after.get(u) ?? [])].every((d) => done.has(d)));
    if (next === undefined)
      throw new MplError('INTERNAL', 'export: the templates and steps wait for each other');
    done.add(next);
    runbook.push(next.startsWith('run:') ? { run: next.slice(4) } : { deploy: next.slice(7) });
  }

  const manual = [...manualOf.values()].map((m) => m.step);
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
  const list = [...templates.values()].map(({ file, account, region, stage, body }) => ({
    file,
    account,
    region,
    stage,
    body,
  }));
  return { templates: list, manual, runbook };
}
