// Endpoint service permissions (provider account): exactly the planned principals may connect.
// Not a resource of its own in AWS (no id, no tags): the allowed-principals list of a service, so
// its physical id is the service's and the handler is written directly, not on resourceHandler.
import {
  DescribeVpcEndpointServicePermissionsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { MplError } from '../errors.js';
import type { Instance } from '../state/instance.js';
import { attempt, defineKind, orGone, type Desired, type HandlerCtx, type Live } from './kind.js';
import { orderStringsLike } from './shared/ec2.js';
import { logicalOf, refId, tryRef, unlessGone } from './shared/ec2-endpoint.js';
import { foundIn, logicalIds } from './shared/scan.js';
import { Ref } from './shared/schema.js';
import { ec2StackTagged } from '../iam/scope.js';
import { readOnce } from './shared/batched.js';

const Props = z.strictObject({
  service: Ref,
  allowedPrincipals: z.array(z.string()),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `permissions of endpoint service ${p.service ?? '?'}`;

/** The allowed principals, or undefined when the service does not exist. */
async function principalsOf(ctx: HandlerCtx, serviceId: string): Promise<string[] | undefined> {
  return orGone(`the permissions of endpoint service ${serviceId}`, async () => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await ctx.aws.ec2.send(
        new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, NextToken: token }),
      );
      for (const p of page.AllowedPrincipals ?? []) if (p.Principal !== undefined) out.push(p.Principal);
      token = page.NextToken;
    } while (token);
    return out;
  });
}

/** Once per plan: its scan and its refresh both read the permissions. */
const principalsOnce = (ctx: HandlerCtx, serviceId: string) =>
  readOnce(ctx, ctx.aws.ec2, 'ec2:DescribeVpcEndpointServicePermissions', serviceId, () =>
    principalsOf(ctx, serviceId),
  );

/** The service's id: from state, else from the made service the desired props refer to. */
function serviceIdOf(
  ctx: HandlerCtx,
  desired: Desired<Props> | undefined,
  known: Instance<Props> | undefined,
): string | undefined {
  if (known !== undefined) return known.physicalId;
  if (desired === undefined) return undefined;
  const svc = tryRef(ctx, desired.props.service);
  const sid = svc?.outputs.serviceId ?? svc?.physicalId;
  return typeof sid === 'string' ? sid : undefined;
}

function observe(
  ctx: HandlerCtx,
  serviceId: string,
  principals: string[],
  like: Partial<Props> | undefined,
): Live<Props> {
  return {
    physicalId: serviceId,
    props: {
      service: logicalOf(ctx, serviceId),
      // AWS answers in no particular order; the planner's order when the set is the same, else sorted.
      allowedPrincipals: orderStringsLike(principals, like?.allowedPrincipals),
    },
    outputs: { serviceId },
  };
}

/** Adds the missing principals and removes the extra ones, in one call. */
async function apply(ctx: HandlerCtx, r: Desired<Props>): Promise<Live<Props>> {
  const serviceId = refId(ctx, r.props.service, 'serviceId');
  const have = await principalsOf(ctx, serviceId);
  if (have === undefined) {
    throw new MplError(
      'RESOURCE_GONE',
      `setting the permissions of ${r.id}: endpoint service ${r.props.service} (${serviceId}) does not exist`,
    );
  }
  const add = r.props.allowedPrincipals.filter((p) => !have.includes(p));
  const remove = have.filter((p) => !r.props.allowedPrincipals.includes(p));
  if (add.length > 0 || remove.length > 0) {
    await attempt('UPDATE_FAILED', `setting the permissions of ${r.id} (${serviceId})`, () =>
      ctx.aws.ec2.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: serviceId,
          ...(add.length > 0 ? { AddAllowedPrincipals: add } : {}),
          ...(remove.length > 0 ? { RemoveAllowedPrincipals: remove } : {}),
        }),
      ),
    );
  }
  const now = (await principalsOf(ctx, serviceId)) ?? [];
  return observe(ctx, serviceId, now, r.props);
}

/**
 * The permissions of each endpoint service found in ctx's account and region, named after the
 * service's id; a service that allows no principal has none, as read answers.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const { ids, tryParseId, formatId } = await logicalIds();
  const all = await Promise.all(
    foundIn(ctx, found, 'endpoint-service').map(async (svc) => {
      const parsed = tryParseId(svc.id);
      const sid = svc.outputs.serviceId;
      const serviceId = typeof sid === 'string' && sid !== '' ? sid : svc.physicalId;
      if (parsed?.kind !== 'endpoint-service') return [];
      const principals = await principalsOnce(ctx, serviceId);
      if (principals === undefined || principals.length === 0) return [];
      const id: string = ids.permissionsFor(formatId(parsed));
      return [{ id, live: observe(ctx, serviceId, principals, undefined), dependsOn: [svc.id] }];
    }),
  );
  return all.flat();
}

export const endpointServicePermissions = defineKind({
  kind: 'endpoint-service-permissions',
  iam: {
    reads: ['ec2:DescribeVpcEndpointServicePermissions'],
    writes: (s) => [ec2StackTagged(s, ['ec2:ModifyVpcEndpointServicePermissions'])],
  },
  props: Props,
  terraform: (p, x) => ({
    resources: Object.fromEntries(
      p.allowedPrincipals.map((a) => [
        a.replace(/^arn:[^:]+:iam::(\d{12}):.*$/, '$1'),
        {
          type: 'aws_vpc_endpoint_service_allowed_principal',
          args: { vpc_endpoint_service_id: x.ref(p.service, 'id'), principal_arn: a },
        },
      ]),
    ),
  }),
  cloudformation: (p, x) => ({
    type: 'AWS::EC2::VPCEndpointServicePermissions',
    properties: { ServiceId: x.ref(p.service, 'Ref'), AllowedPrincipals: p.allowedPrincipals },
  }),
  // ModifyVpcEndpointServicePermissions adds and removes principals in place; the service is what
  // the permissions belong to, so another service means other permissions.
  replaceOn: ['service'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const id = desired?.id ?? known?.id;
      const serviceId = serviceIdOf(ctx, desired, known);
      if (id === undefined || serviceId === undefined) return undefined;
      const principals = await principalsOnce(ctx, serviceId);
      if (principals === undefined) return undefined;
      // No principal at all is what delete leaves (and what a new service has): absent, so the plan
      // shows a create, unless the plan itself wants none.
      if (principals.length === 0 && (desired === undefined || desired.props.allowedPrincipals.length > 0)) {
        return undefined;
      }
      return observe(ctx, serviceId, principals, desired?.props ?? known?.props);
    },

    create: apply,

    update: (ctx, r) => apply(ctx, r),

    async delete(ctx, known) {
      const serviceId = known.physicalId;
      const have = await principalsOf(ctx, serviceId);
      if (have === undefined || have.length === 0) return;
      // The service went meanwhile (deleted with its permissions): nothing left to remove.
      await unlessGone('DELETE_FAILED', `removing the permissions of ${known.id} (${serviceId})`, () =>
        ctx.aws.ec2.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: serviceId,
            RemoveAllowedPrincipals: have,
          }),
        ),
      );
    },
  },
  scan,
  scanAfter: ['endpoint-service'],
});
