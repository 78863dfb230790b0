// A consumer account's acceptance of pattern 3's RAM share. Accounts outside the provider's AWS
// Organization get an invitation that must be accepted before the shared resource configuration
// can be used (AWS RAM user guide, "Accepting and rejecting invitations"); inside an organization
// with sharing enabled there is none and the share is usable at once. Not a resource of its own
// (no id, no tags): the state of one invitation, so the handler is written directly.
import {
  AcceptResourceShareInvitationCommand,
  GetResourceShareInvitationsCommand,
  GetResourceSharesCommand,
  type ResourceShareInvitation,
} from '@aws-sdk/client-ram';
import { z } from 'zod';
import { MplError } from '../errors.js';
import { attempt, defineKind, orGone, type HandlerCtx, type Live } from './kind.js';
import { tryRef } from './shared/ec2-endpoint.js';
import { poll } from './shared/poll.js';
import { Ref } from './shared/schema.js';

const Props = z.strictObject({
  /** The provider's share. */
  share: Ref,
  /** The account that shares it (the provider). */
  sender: z.string(),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `acceptance of ${p.share ?? '?'} from ${p.sender ?? '?'}`;

async function invitationOf(ctx: HandlerCtx, shareArn: string): Promise<ResourceShareInvitation | undefined> {
  const found: ResourceShareInvitation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.ram.send(
      new GetResourceShareInvitationsCommand({ resourceShareArns: [shareArn], nextToken }),
    );
    found.push(...(page.resourceShareInvitations ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  // The newest one speaks for the share (a principal removed and added again is invited again).
  return found.sort(
    (a, b) => (b.invitationTimestamp?.getTime() ?? 0) - (a.invitationTimestamp?.getTime() ?? 0),
  )[0];
}

/** Shared with this account without an invitation (one AWS Organization with RAM sharing on). */
async function sharedWithoutInvitation(ctx: HandlerCtx, shareArn: string): Promise<boolean> {
  const out = await ctx.aws.ram.send(
    new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS', resourceShareArns: [shareArn] }),
  );
  return (out.resourceShares ?? []).some((s) => s.status === 'ACTIVE');
}

function live(r: { props: Props }, shareArn: string, inv: ResourceShareInvitation | undefined): Live<Props> {
  return {
    physicalId: shareArn,
    props: { share: r.props.share, sender: inv?.senderAccountId ?? r.props.sender },
    outputs: { invitationArn: inv?.resourceShareInvitationArn ?? '', status: inv?.status ?? 'NO_INVITATION' },
  };
}

export const resourceShareAcceptance = defineKind({
  kind: 'resource-share-acceptance',
  iam: {
    reads: ['ram:GetResourceShareInvitations', 'ram:GetResourceShares'],
    writes: (s) => [
      {
        sid: 'ResourceShareInvitations',
        actions: ['ram:AcceptResourceShareInvitation'],
        // Invitations are ARNs of the sharing account.
        resources: [`arn:${s.partition}:ram:${s.region}:*:resource-share-invitation/*`],
      },
    ],
  },
  props: Props,
  // CloudFormation has no resource that accepts a RAM invitation; the endpoint needs the share
  // accepted first. Inside an AWS Organization with RAM sharing turned on there is no invitation
  // (RAM user guide, "Accepting and rejecting invitations"): nothing to run.
  cloudformation: (p, x, r) => {
    const share = `<${x.output(p.share, 'Arn')}>`;
    return {
      manual: {
        what: `accept the invitation to share ${p.share} from account ${p.sender} (nothing to accept when both accounts are in one AWS Organization with RAM sharing turned on)`,
        gate: true,
        apply: `aws ram accept-resource-share-invitation --region ${r.region} --resource-share-invitation-arn "$(aws ram get-resource-share-invitations --region ${r.region} --resource-share-arns ${share} --query 'resourceShareInvitations[0].resourceShareInvitationArn' --output text)"`,
        // Deleting the provider's stack deletes the share, and with it this account's access.
        undo: '',
      },
    };
  },
  // An acceptance is of one share: another share is another acceptance.
  replaceOn: ['share', 'sender'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const shareArn =
        (desired ? tryRef(ctx, desired.props.share)?.physicalId : undefined) ?? known?.physicalId;
      const props = desired?.props ?? known?.props;
      if (shareArn === undefined || props === undefined) return undefined;
      const inv = await orGone(label(props), () => invitationOf(ctx, shareArn));
      if (inv?.status === 'ACCEPTED') return live({ props }, shareArn, inv);
      if (inv === undefined && (await orGone(label(props), () => sharedWithoutInvitation(ctx, shareArn))))
        return live({ props }, shareArn, undefined);
      return undefined;
    },

    async create(ctx, r) {
      const shareArn = ctx.ref(r.props.share).physicalId;
      const what = `${label(r.props)} (${r.id}) in account ${ctx.aws.account}`;
      // RAM sends the invitation shortly after the share or principal is added.
      const first = await poll(`the invitation to ${shareArn} to arrive`, ctx.wait, async () => {
        const inv = await orGone(what, () => invitationOf(ctx, shareArn));
        if (inv !== undefined) return { done: true, value: inv };
        if (await orGone(what, () => sharedWithoutInvitation(ctx, shareArn)))
          return { done: true, value: undefined };
        return { done: false, state: 'no invitation yet' };
      });
      if (first === undefined) return live(r, shareArn, undefined);
      if (first.status === 'REJECTED' || first.status === 'EXPIRED') {
        throw new MplError('RESOURCE_SHARE_INVITATION_DEAD', `${what}: the invitation is ${first.status}`, {
          detail:
            'a rejected or expired invitation cannot be accepted: remove the account from the share (or delete the share) and apply again',
        });
      }
      if (first.status === 'PENDING') {
        await attempt('RESOURCE_SHARE_ACCEPT_FAILED', what, () =>
          ctx.aws.ram.send(
            new AcceptResourceShareInvitationCommand({
              resourceShareInvitationArn: first.resourceShareInvitationArn,
            }),
          ),
        );
      }
      const accepted = await poll(`${what} to be accepted`, ctx.wait, async () => {
        const inv = await orGone(what, () => invitationOf(ctx, shareArn));
        if (inv?.status === 'ACCEPTED') return { done: true, value: inv };
        if (inv?.status === 'REJECTED' || inv?.status === 'EXPIRED')
          return { failed: `invitation ${inv.status}` };
        return { done: false, state: inv?.status ?? 'no invitation' };
      });
      return live(r, shareArn, accepted);
    },

    // Nothing to undo in the consumer account: access ends when the provider deletes the share or
    // removes the account from it, which destroy does.
    async delete() {},
  },
});
