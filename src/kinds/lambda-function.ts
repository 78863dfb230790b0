// A Lambda function in a consumer VPC (`monitor`: the probe bundle, one function per AZ ID). Its
// code is the tool's own probe bundle (dist/probe-lambda.zip), identified in props by its SHA-256 as
// Lambda reports it (CodeSha256), so a new tool version shows as an update. Found by name (unique
// per account and region); another stack's function is never adopted.
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListFunctions,
  type FunctionConfiguration,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { probeBundle, bundleSha256 } from '../probe/in-vpc/bundle.js';
import { defineKind, orGone, resourceHandler, type HandlerCtx, type Live, type TagApi } from './kind.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  /** 64 characters at most (Lambda API reference, CreateFunction FunctionName). */
  name: z.string().min(1).max(64),
  runtime: z.string(),
  handler: z.string(),
  /** The iam-role it runs as (logical id). */
  role: Ref,
  /** One subnet, so the function's network interface (and what it reaches) is in that AZ. */
  subnetId: z.string(),
  /** The security-group it runs in (logical id). */
  securityGroup: Ref,
  timeoutS: z.number().int().min(1).max(900),
  memoryMb: z.number().int().min(128).max(10240),
  /** Base64 SHA-256 of the deployment package, as Lambda's CodeSha256. */
  codeSha256: z.string(),
  description: z.string().max(256),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `lambda function ${p.name ?? '?'}`;

const arnOf = (ctx: HandlerCtx, name: string) =>
  `arn:aws:lambda:${ctx.aws.region}:${ctx.aws.account}:function:${name}`;

const lambdaTags: TagApi = {
  async read(ctx, name) {
    const out = await ctx.aws.lambda.send(new ListTagsCommand({ Resource: arnOf(ctx, name) }));
    return { ...(out.Tags ?? {}) };
  },
  async write(ctx, name, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.lambda.send(new TagResourceCommand({ Resource: arnOf(ctx, name), Tags: set }));
    if (remove.length > 0)
      await ctx.aws.lambda.send(new UntagResourceCommand({ Resource: arnOf(ctx, name), TagKeys: remove }));
  },
};

const get = async (ctx: HandlerCtx, name: string) =>
  ctx.aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));

const outputOf = (ctx: HandlerCtx, id: string, key: string): string => {
  const v = ctx.ref(id).outputs[key];
  if (typeof v !== 'string' || v === '') throw new MplError('REF_MISSING', `${id} has no ${key} in state`);
  return v;
};

async function observe(ctx: HandlerCtx, f: FunctionConfiguration): Promise<Live<Props>> {
  const name = f.FunctionName ?? '';
  const groupId = f.VpcConfig?.SecurityGroupIds?.[0] ?? '';
  const roleArn = f.Role ?? '';
  return {
    physicalId: name,
    props: {
      name,
      runtime: f.Runtime ?? '',
      handler: f.Handler ?? '',
      // References back to logical ids where the stack made them; the raw id otherwise (a change).
      role: roleIdOf(ctx, roleArn),
      subnetId: (f.VpcConfig?.SubnetIds ?? []).join(','),
      securityGroup: ctx.idOf(groupId) ?? groupId,
      timeoutS: f.Timeout ?? 3,
      memoryMb: f.MemorySize ?? 128,
      codeSha256: f.CodeSha256 ?? '',
      description: f.Description ?? '',
      tags: await lambdaTags.read(ctx, name),
    },
    outputs: { arn: f.FunctionArn ?? arnOf(ctx, name), name },
  };
}

/** An execution role's logical id from its ARN (roles are state entries keyed by name). */
function roleIdOf(ctx: HandlerCtx, arn: string): string {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  return ctx.idOf(name) ?? arn;
}

/** Waits until the function is Active and no update is in progress (Lambda's function states). */
async function settled(ctx: HandlerCtx, name: string, what: string): Promise<FunctionConfiguration> {
  return poll(`${what} to be active`, ctx.wait, async () => {
    const f = await get(ctx, name);
    if (f.State === 'Failed') return { failed: f.StateReason ?? 'State Failed' };
    if (f.State === 'Active' && f.LastUpdateStatus !== 'InProgress') return { done: true, value: f };
    return { done: false, state: `${f.State ?? '?'}/${f.LastUpdateStatus ?? '?'}` };
  });
}

/** The bundle, checked against the plan's digest (a rebuilt tool between plan and apply must re-plan). */
async function code(p: Props, what: string): Promise<Uint8Array> {
  const zip = await probeBundle();
  if (bundleSha256(zip) !== p.codeSha256)
    throw new MplError(
      'STALE_PLAN',
      `${what}: the probe bundle dist/probe-lambda.zip is not the one planned (${p.codeSha256}); plan again`,
    );
  return zip;
}

export const lambdaFunction = defineKind({
  kind: 'lambda-function',
  waits: { create: (t) => t.lambdaActiveMs },
  iam: {
    reads: ['lambda:GetFunctionConfiguration', 'lambda:ListFunctions', 'lambda:ListTags'],
    writes: (s) => [
      {
        sid: 'MonitorFunctions',
        actions: [
          'lambda:CreateFunction',
          'lambda:DeleteFunction',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:TagResource',
          'lambda:UntagResource',
        ],
        resources: [arn(s, 'lambda', `function:mpl-${s.stack}-*`)],
      },
      // A function in a VPC: Lambda checks its creator may read the VPC, subnets and groups (Lambda
      // developer guide, "Giving Lambda functions access to resources in an Amazon VPC").
      {
        sid: 'Read',
        actions: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
        resources: ['*'],
      },
    ],
  },
  props: Props,
  replaceOn: ['name'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, FunctionConfiguration>({
    label,
    byId: (ctx, name) => get(ctx, name),
    byIdentity: (ctx, _id, p) => (p.name === undefined ? Promise.resolve(undefined) : get(ctx, p.name)),
    physicalIdOf: (f) => f.FunctionName ?? '',
    observe: (ctx, f) => observe(ctx, f),
    async create(ctx, r) {
      const p = r.props;
      const what = `${label(p)} (${r.id})`;
      const zip = await code(p, what);
      const role = outputOf(ctx, p.role, 'arn');
      const groupId = outputOf(ctx, p.securityGroup, 'groupId');
      // A new role takes a few seconds before Lambda can assume it (IAM is eventually consistent):
      // "The role defined for the function cannot be assumed by Lambda" until then.
      return poll(`${what} to be created`, ctx.wait, async () => {
        try {
          const made = await ctx.aws.lambda.send(
            new CreateFunctionCommand({
              FunctionName: p.name,
              Runtime: p.runtime as Runtime,
              Handler: p.handler,
              Role: role,
              Code: { ZipFile: zip },
              Timeout: p.timeoutS,
              MemorySize: p.memoryMb,
              Description: p.description,
              VpcConfig: { SubnetIds: [p.subnetId], SecurityGroupIds: [groupId] },
              Tags: p.tags,
            }),
          );
          return { done: true, value: made };
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (errorName(e) === 'InvalidParameterValueException' && /cannot be assumed/i.test(msg))
            return { done: false, state: 'waiting for the new role to be usable' };
          // A create retried after its answer was lost: the function is there; the owner check follows.
          if (errorName(e) === 'ResourceConflictException')
            return { done: true, value: await get(ctx, p.name) };
          throw e;
        }
      });
    },
    ready: (ctx, f, what) => settled(ctx, f.FunctionName ?? '', what),
    async update(ctx, r, before) {
      const p = r.props;
      const b = before.props;
      const what = `${label(p)} (${r.id})`;
      const settings =
        p.runtime !== b.runtime ||
        p.handler !== b.handler ||
        p.role !== b.role ||
        p.subnetId !== b.subnetId ||
        p.securityGroup !== b.securityGroup ||
        p.timeoutS !== b.timeoutS ||
        p.memoryMb !== b.memoryMb ||
        p.description !== b.description;
      if (settings) {
        await settled(ctx, p.name, what);
        await ctx.aws.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: p.name,
            Runtime: p.runtime as Runtime,
            Handler: p.handler,
            Role: outputOf(ctx, p.role, 'arn'),
            Timeout: p.timeoutS,
            MemorySize: p.memoryMb,
            Description: p.description,
            VpcConfig: {
              SubnetIds: [p.subnetId],
              SecurityGroupIds: [outputOf(ctx, p.securityGroup, 'groupId')],
            },
          }),
        );
      }
      if (p.codeSha256 !== b.codeSha256) {
        // One update at a time: Lambda answers ResourceConflictException while one is in progress.
        await settled(ctx, p.name, what);
        await ctx.aws.lambda.send(
          new UpdateFunctionCodeCommand({ FunctionName: p.name, ZipFile: await code(p, what) }),
        );
      }
    },
    async remove(ctx, name) {
      // Its network interfaces are released afterwards, asynchronously: the security group's delete
      // waits for that (AWS Lambda developer guide, "Giving Lambda functions access to resources in
      // an Amazon VPC").
      await ctx.aws.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    },
    tags: lambdaTags,
  }),
  async scan(ctx, found) {
    const fns: FunctionConfiguration[] = [];
    for await (const page of paginateListFunctions({ client: ctx.aws.lambda }, {}))
      for (const f of page.Functions ?? []) if (f.FunctionName?.startsWith(`mpl-${ctx.stack}-`)) fns.push(f);
    const tagged = await Promise.all(
      fns.map(async (f) => ({
        f,
        tags:
          (await orGone(label({ name: f.FunctionName ?? '' }), () =>
            lambdaTags.read(ctx, f.FunctionName ?? ''),
          )) ?? {},
      })),
    );
    const mine = await ofStack(
      ctx,
      'lambda-function',
      tagged,
      (t) => t.tags,
      (t) => t.f.FunctionName ?? '?',
    );
    return Promise.all(
      mine.map(async ({ id, item }) => {
        const live = await observe(ctx, item.f);
        return { id, live, dependsOn: foundRefs(found, [live.props.role, live.props.securityGroup]) };
      }),
    );
  },
  scanAfter: ['iam-role', 'security-group'],
});
