// Helpers shared by the target-group, load-balancer and listener handlers.
import {
  AddTagsCommand,
  DescribeTagsCommand,
  RemoveTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsFailure, tagChanges, tagList, tagMap } from './ec2-util.js';

/** The tags of one ELBv2 resource (target group, load balancer, listener). */
export async function elbTags(
  elbv2: ElasticLoadBalancingV2Client,
  arn: string,
): Promise<Record<string, string>> {
  const out = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  return tagMap(out.TagDescriptions?.find((d) => d.ResourceArn === arn)?.Tags);
}

/** Makes the resource's tags exactly `desired` (AddTags overwrites values; RemoveTags drops extra keys). */
export async function syncElbTags(
  elbv2: ElasticLoadBalancingV2Client,
  arn: string,
  desired: Record<string, string>,
  actual: Record<string, string>,
  what: string,
): Promise<void> {
  const { set, remove } = tagChanges(desired, actual);
  try {
    if (Object.keys(set).length > 0) {
      await elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: tagList(set) }));
    }
    if (remove.length > 0) await elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: remove }));
  } catch (e) {
    throw awsFailure('TAGGING_FAILED', `${what}: tags`, e);
  }
}
