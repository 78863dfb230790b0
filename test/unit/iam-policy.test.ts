// iam-policy's pure parts: each kind declares every AWS call its module makes, statements merge by
// Sid, and the operations around the kinds (discovery, S3 state) get their statements. That the
// policies are enough, and each statement needed, is checked against the twin with IAM
// enforcement on (test/integration/iam-least-privilege.test.ts).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { KINDS, kindDef } from '../../src/kinds/index.js';
import { mergeStatements, stackPolicies } from '../../src/iam/policy.js';
import type { PolicyScope } from '../../src/iam/scope.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';

// IAM's service prefix per SDK client package (Service Authorization Reference).
const PREFIX: Record<string, string> = {
  ec2: 'ec2',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  'route-53': 'route53',
  kafka: 'kafka',
  ssm: 'ssm',
  'vpc-lattice': 'vpc-lattice',
  ram: 'ram',
  lambda: 'lambda',
  iam: 'iam',
  scheduler: 'scheduler',
  cloudwatch: 'cloudwatch',
  acm: 'acm',
};

/** `service:Action` of every SDK command or paginator a module imports. */
function actionsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
    const prefix = PREFIX[m[2] ?? ''];
    assert.ok(prefix, `no IAM prefix known for @aws-sdk/client-${m[2]}`);
    for (const name of (m[1] ?? '').split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
      const api = /^([A-Z]\w+)Command$/.exec(name)?.[1] ?? /^paginate([A-Z]\w+)$/.exec(name)?.[1];
      if (api) out.push(`${prefix}:${api}`);
    }
  }
  return out;
}

const scope: PolicyScope = {
  partition: 'aws',
  region: 'us-east-2',
  account: '111111111111',
  stack: 'pay',
  elbNames: ['mpl-pay-*'],
  clusterArn: 'arn:aws:kafka:us-east-2:111111111111:cluster/orders/abc',
};

describe('iam-policy (pure parts)', () => {
  for (const kind of KINDS) {
    it(`${kind} declares every AWS call its module makes`, async () => {
      const def = kindDef(kind);
      const source = await readFile(`src/kinds/${kind}.ts`, 'utf8');
      const declared = new Set([...def.iam.reads, ...def.iam.writes(scope, []).flatMap((p) => p.actions)]);
      const missing = actionsOf(source).filter((a) => !declared.has(a));
      assert.deepEqual(missing, [], `${kind} calls ${missing.join(', ')} without declaring it`);
      for (const a of declared) assert.match(a, /^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/, `${kind}: ${a}`);
    });
  }

  it('merges statements by Sid: actions, resources and condition values unioned', () => {
    const merged = mergeStatements([
      { sid: 'A', actions: ['ec2:B', 'ec2:A'], resources: ['r1'], condition: { StringEquals: { k: 'x' } } },
      { sid: 'A', actions: ['ec2:A', 'ec2:C'], resources: ['r2'], condition: { StringEquals: { k: 'y' } } },
      { sid: 'B', actions: ['s3:GetObject'], resources: ['*', 'r3'] },
    ]);
    assert.deepEqual(merged, [
      {
        Sid: 'A',
        Effect: 'Allow',
        Action: ['ec2:A', 'ec2:B', 'ec2:C'],
        Resource: ['r1', 'r2'],
        Condition: { StringEquals: { k: ['x', 'y'] } },
      },
      { Sid: 'B', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
    ]);
  });

  it('gives the provider the S3 state statements, list limited to the state and lock keys', () => {
    const config = configOf({ state: { backend: 's3', bucket: 'team-state' } });
    const input = planInputOf(config, inventoryOf(brokersFor([1, 2, 3])));
    const [provider] = stackPolicies({ config, resources: planStack(input).resources });
    const objects = provider?.policy.Statement.find((s) => s.Sid === 'StateObjects');
    assert.deepEqual(objects?.Resource, [
      `arn:aws:s3:::team-state/msk-privatelink/${config.name}.state.json`,
      `arn:aws:s3:::team-state/msk-privatelink/${config.name}.state.json.lock`,
    ]);
    const list = provider?.policy.Statement.find((s) => s.Sid === 'StateBucketList');
    assert.deepEqual(list?.Condition, {
      StringEquals: {
        's3:prefix': [
          `msk-privatelink/${config.name}.state.json`,
          `msk-privatelink/${config.name}.state.json.lock`,
        ],
      },
    });
  });

  it('scopes ELB changes to patterns every planned ELB name matches, shortened names too', () => {
    const glob = (g: string) =>
      new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const name of ['pay', 'a-very-long-stack-nm']) {
      const config = configOf({ name });
      const resources = planStack(planInputOf(config, inventoryOf(brokersFor([1, 2, 1002])))).resources;
      const [provider] = stackPolicies({ config, resources });
      const elb = provider?.policy.Statement.find((s) => s.Sid === 'LoadBalancing');
      assert.ok(elb);
      const arns = [elb.Resource].flat();
      const namesIn = (type: string) =>
        arns.flatMap((a) =>
          a.includes(`:${type}/`) ? [glob(a.split(`:${type}/`)[1]?.split('/')[0] ?? '')] : [],
        );
      const checks: Array<[string, string]> = resources.flatMap((r): Array<[string, string]> =>
        r.kind === 'load-balancer'
          ? [['loadbalancer/net', r.props.name]]
          : r.kind === 'target-group'
            ? [['targetgroup', r.props.name]]
            : [],
      );
      assert.ok(checks.length > 3);
      assert.ok(
        name === 'pay' || checks.some(([, n]) => !n.startsWith(`mpl-${name}-`)),
        'some names are shortened',
      );
      for (const [type, n] of checks)
        assert.ok(
          namesIn(type).some((re) => re.test(n)),
          `${name}: ${n} matches none of ${arns.join(', ')}`,
        );
    }
  });
});
