// An IAM role a service assumes for the stack (`monitor`: the probe function's execution role and
// the role EventBridge Scheduler invokes it with): its trust in one AWS service and one inline
// policy, both exactly as props say. Found by name (IAM role names are unique per account);
// another stack's role is never adopted.
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  paginateListRoles,
  type Role,
} from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { errorName } from '../aws/errors.js';
import { defineKind, orGone, resourceHandler, type HandlerCtx, type Live, type TagApi } from './kind.js';
import { ofStack } from './shared/scan.js';
import { Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  /** 64 characters at most (IAM API reference, CreateRole RoleName). */
  name: z.string().min(1).max(64),
  /** The service principal trusted to assume it, e.g. lambda.amazonaws.com. */
  service: z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/),
  /** Trust conditions (confused-deputy guards such as aws:SourceAccount), as in a policy's Condition. */
  trustCondition: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  description: z.string().max(1000),
  /** The one inline policy's name and its statements. */
  policyName: z.string().min(1).max(128),
  statements: z.array(
    z.strictObject({
      Effect: z.enum(['Allow', 'Deny']),
      Action: z.array(z.string()).min(1),
      Resource: z.array(z.string()).min(1),
      Condition: z.record(z.string(), z.record(z.string(), z.string())).optional(),
    }),
  ),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `iam role ${p.name ?? '?'}`;

const trustOf = (p: Pick<Props, 'service' | 'trustCondition'>) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: p.service },
      Action: 'sts:AssumeRole',
      ...(p.trustCondition ? { Condition: p.trustCondition } : {}),
    },
  ],
});
const policyOf = (p: Pick<Props, 'statements'>) => ({ Version: '2012-10-17', Statement: p.statements });

/** IAM answers policy documents URL-encoded (IAM API reference, GetRole: AssumeRolePolicyDocument). */
function parseDoc(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(decodeURIComponent(text));
  } catch {
    return JSON.parse(text);
  }
}

const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/** The trust document in props' shape; a document the props cannot express reads as no service. */
function trustProps(doc: unknown): Pick<Props, 'service' | 'trustCondition'> {
  const st = (doc as { Statement?: unknown[] } | undefined)?.Statement ?? [];
  const first = st[0] as
    { Principal?: { Service?: unknown }; Condition?: Props['trustCondition'] } | undefined;
  const services = asList(first?.Principal?.Service);
  return {
    service: st.length === 1 && services.length === 1 ? (services[0] as string) : '',
    ...(first?.Condition ? { trustCondition: first.Condition } : {}),
  };
}

function statementsOf(doc: unknown): Props['statements'] {
  const st = (doc as { Statement?: unknown } | undefined)?.Statement;
  return (Array.isArray(st) ? st : st === undefined ? [] : [st]).map((s) => {
    const o = s as { Effect?: string; Action?: unknown; Resource?: unknown; Condition?: unknown };
    return {
      Effect: o.Effect === 'Deny' ? 'Deny' : 'Allow',
      Action: asList(o.Action),
      Resource: asList(o.Resource),
      ...(o.Condition ? { Condition: o.Condition as NonNullable<Props['trustCondition']> } : {}),
    };
  });
}

const iamTags: TagApi = {
  async read(ctx, name) {
    const out = await ctx.aws.iam.send(new ListRoleTagsCommand({ RoleName: name }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  },
  async write(ctx, name, set, remove) {
    const add = Object.entries(set);
    if (add.length > 0)
      await ctx.aws.iam.send(
        new TagRoleCommand({ RoleName: name, Tags: add.map(([Key, Value]) => ({ Key, Value })) }),
      );
    if (remove.length > 0) await ctx.aws.iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: remove }));
  },
};

async function getRole(ctx: HandlerCtx, name: string): Promise<Role | undefined> {
  return (await ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role;
}

async function observe(ctx: HandlerCtx, role: Role, like: Partial<Props> | undefined): Promise<Live<Props>> {
  const name = role.RoleName ?? '';
  const policyName = like?.policyName ?? '';
  const names = (await ctx.aws.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
  // Only the policy props name is ours to read; another inline policy shows as a change of name.
  const readName = names.includes(policyName) ? policyName : names[0];
  const doc =
    readName === undefined
      ? undefined
      : (await ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: readName })))
          .PolicyDocument;
  return {
    physicalId: name,
    props: {
      name,
      ...trustProps(parseDoc(role.AssumeRolePolicyDocument)),
      description: role.Description ?? '',
      policyName: names.length === 1 && readName !== undefined ? readName : names.join(','),
      statements: statementsOf(parseDoc(doc)),
      tags: await iamTags.read(ctx, name),
    },
    outputs: { arn: role.Arn ?? '', name },
  };
}

async function putPolicy(ctx: HandlerCtx, p: Props): Promise<void> {
  await ctx.aws.iam.send(
    new PutRolePolicyCommand({
      RoleName: p.name,
      PolicyName: p.policyName,
      PolicyDocument: JSON.stringify(policyOf(p)),
    }),
  );
}

export const iamRole = defineKind({
  kind: 'iam-role',
  iam: {
    reads: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListRoleTags', 'iam:ListRoles'],
    writes: (s) => [
      {
        sid: 'MonitorRoles',
        actions: [
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
        ],
        resources: [arn(s, 'iam', `role/mpl-${s.stack}-*`, { global: true })],
      },
      // The function and the schedule take these roles (iam:PassRole, IAM user guide "Grant a user
      // permissions to pass a role to an AWS service"), only to those two services.
      {
        sid: 'MonitorRolesPass',
        actions: ['iam:PassRole'],
        resources: [arn(s, 'iam', `role/mpl-${s.stack}-*`, { global: true })],
        condition: {
          StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'scheduler.amazonaws.com'] },
        },
      },
    ],
  },
  props: Props,
  replaceOn: ['name'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, Role>({
    label,
    byId: (ctx, name) => getRole(ctx, name),
    byIdentity: (ctx, _id, p) => (p.name === undefined ? Promise.resolve(undefined) : getRole(ctx, p.name)),
    physicalIdOf: (r) => r.RoleName ?? '',
    observe,
    async create(ctx, r) {
      const p = r.props;
      try {
        const made = await ctx.aws.iam.send(
          new CreateRoleCommand({
            RoleName: p.name,
            AssumeRolePolicyDocument: JSON.stringify(trustOf(p)),
            Description: p.description,
            Tags: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return made.Role;
      } catch (e) {
        // A create retried after its answer was lost (EntityAlreadyExists: IAM API reference,
        // CreateRole): the role is there; the skeleton's owner check follows.
        if (!/^EntityAlreadyExists/.test(errorName(e))) throw e;
        return getRole(ctx, p.name);
      }
    },
    async configure(ctx, r) {
      await putPolicy(ctx, r.props);
    },
    async update(ctx, r, before) {
      const p = r.props;
      const b = before.props;
      if (p.service !== b.service || !isDeepStrictEqual(p.trustCondition, b.trustCondition))
        await ctx.aws.iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: p.name, PolicyDocument: JSON.stringify(trustOf(p)) }),
        );
      if (p.description !== b.description)
        await ctx.aws.iam.send(new UpdateRoleCommand({ RoleName: p.name, Description: p.description }));
      if (p.policyName !== b.policyName || !isDeepStrictEqual(p.statements, b.statements)) {
        await putPolicy(ctx, p);
        // Inline policies other than ours (a renamed one) are removed: the role has exactly one.
        const names =
          (await ctx.aws.iam.send(new ListRolePoliciesCommand({ RoleName: p.name }))).PolicyNames ?? [];
        for (const n of names.filter((x) => x !== p.policyName))
          await ctx.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: p.name, PolicyName: n }));
      }
    },
    async remove(ctx, name) {
      // DeleteRole refuses a role with inline policies (DeleteConflict: IAM API reference, DeleteRole).
      const names =
        (await ctx.aws.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
      for (const n of names)
        await ctx.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: n }));
      await ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: name }));
    },
    tags: iamTags,
  }),
  async scan(ctx) {
    // The stack's role names start with mpl-<stack>- (planner/monitor.ts); the tags decide.
    const roles: Role[] = [];
    for await (const page of paginateListRoles({ client: ctx.aws.iam }, { PathPrefix: '/' }))
      for (const r of page.Roles ?? []) if (r.RoleName?.startsWith(`mpl-${ctx.stack}-`)) roles.push(r);
    const tagged = await Promise.all(
      roles.map(async (r) => ({
        r,
        tags:
          (await orGone(label({ name: r.RoleName ?? '' }), () => iamTags.read(ctx, r.RoleName ?? ''))) ?? {},
      })),
    );
    const mine = await ofStack(
      ctx,
      'iam-role',
      tagged,
      (t) => t.tags,
      (t) => t.r.RoleName ?? '?',
    );
    const out: Array<{ id: string; live: Live<Props> }> = [];
    for (const { id, item } of mine) {
      const role = await orGone(label({ name: item.r.RoleName ?? '' }), () =>
        getRole(ctx, item.r.RoleName ?? ''),
      );
      if (role === undefined) continue;
      out.push({ id, live: await observe(ctx, role, { policyName: POLICY_NAME }) });
    }
    return out;
  },
});

/** The inline policy name `monitor`'s roles carry. */
export const POLICY_NAME = 'msk-privatelink';
