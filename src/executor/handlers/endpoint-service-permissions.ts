// Endpoint service permissions (provider account): exactly the planned principals may connect.
import {
  DescribeVpcEndpointServicePermissionsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import type { ResourceOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import { awsFailure, logicalOf, orderLike, refId, tryRef } from './ec2-endpoint-util.js';

type R = ResourceOf<'endpoint-service-permissions'>;

/** The allowed principals, or undefined when the service does not exist. */
async function principalsOf(ctx: HandlerCtx, serviceId: string): Promise<string[] | undefined> {
  const out: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await ctx.aws.ec2.send(
        new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, NextToken: token }),
      );
      for (const p of page.AllowedPrincipals ?? []) if (p.Principal !== undefined) out.push(p.Principal);
      token = page.NextToken;
    } while (token);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('AWS_READ_FAILED', `reading the permissions of endpoint service ${serviceId}`, e);
  }
  return out;
}

/** The service's id: from state, else from the made service the desired props refer to. */
function serviceIdOf(ctx: HandlerCtx, desired: R | undefined, known: Known | undefined): string | undefined {
  if (known?.physicalId !== undefined) return known.physicalId;
  if (desired === undefined) return undefined;
  const svc = tryRef(ctx, desired.props.service);
  const sid = svc?.outputs.serviceId ?? svc?.physicalId;
  return typeof sid === 'string' ? sid : undefined;
}

function observe(
  ctx: HandlerCtx,
  id: string,
  serviceId: string,
  principals: string[],
  desired: R | undefined,
): Observed<'endpoint-service-permissions'> {
  return {
    id,
    kind: 'endpoint-service-permissions',
    physicalId: serviceId,
    props: {
      service: logicalOf(ctx, serviceId),
      // AWS answers in no particular order; the planner's order when the set is the same, else sorted.
      allowedPrincipals: orderLike(principals, desired?.props.allowedPrincipals),
    },
    outputs: { serviceId },
  };
}

/** Adds the missing principals and removes the extra ones, in one call. */
async function apply(ctx: HandlerCtx, r: R): Promise<Observed<'endpoint-service-permissions'>> {
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
    try {
      await ctx.aws.ec2.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: serviceId,
          ...(add.length > 0 ? { AddAllowedPrincipals: add } : {}),
          ...(remove.length > 0 ? { RemoveAllowedPrincipals: remove } : {}),
        }),
      );
    } catch (e) {
      throw awsFailure('AWS_UPDATE_FAILED', `setting the permissions of ${r.id} (${serviceId})`, e);
    }
  }
  const now = (await principalsOf(ctx, serviceId)) ?? [];
  return observe(ctx, r.id, serviceId, now, r);
}

export const endpointServicePermissionsHandler: Handler<'endpoint-service-permissions'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    const serviceId = serviceIdOf(ctx, desired, known);
    if (id === undefined || serviceId === undefined) return undefined;
    const principals = await principalsOf(ctx, serviceId);
    if (principals === undefined) return undefined;
    // No principal at all is what delete leaves (and what a new service has): absent, so the plan
    // shows a create, unless the plan itself wants none.
    if (principals.length === 0 && (desired === undefined || desired.props.allowedPrincipals.length > 0)) {
      return undefined;
    }
    return observe(ctx, id, serviceId, principals, desired);
  },

  create: apply,

  update: (ctx, r) => apply(ctx, r),

  async delete(ctx, known) {
    const serviceId = known.physicalId;
    if (serviceId === undefined) return;
    const have = await principalsOf(ctx, serviceId);
    if (have === undefined || have.length === 0) return;
    try {
      await ctx.aws.ec2.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: serviceId,
          RemoveAllowedPrincipals: have,
        }),
      );
    } catch (e) {
      // The service went meanwhile (deleted with its permissions): nothing left to remove.
      if (isNotFound(e)) return;
      throw awsFailure('AWS_DELETE_FAILED', `removing the permissions of ${known.id} (${serviceId})`, e);
    }
  },
};
