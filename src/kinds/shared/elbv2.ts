// ELBv2 tag calls, shared by the target-group, load-balancer and listener kinds.
import {
  AddTagsCommand,
  DescribeTagsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TagApi } from '../kind.js';
import { tagList, tagMap } from './ec2.js';

export const elbTags: TagApi = {
  async read(ctx, arn) {
    const out = await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    return tagMap(out.TagDescriptions?.find((d) => d.ResourceArn === arn)?.Tags);
  },
  // AddTags overwrites values; RemoveTags drops extra keys.
  async write(ctx, arn, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: tagList(set) }));
    if (remove.length > 0)
      await ctx.aws.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: remove }));
  },
};
