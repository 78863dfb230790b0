// Security group descriptions the planner writes must pass EC2's character rule, which the AWS twin
// (moto) does not enforce: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 characters
// (EC2 API reference, CreateSecurityGroup GroupDescription). An apostrophe ("analytics's") was
// refused by AWS and by cfn-lint (E3031), never by the twin.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadOffline } from '../../src/plan/make-plan.js';
import { planStack } from '../../src/planner/plan-stack.js';

const PLANS = path.resolve(import.meta.dirname, '../../plans');
const ALLOWED = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

describe('security group descriptions follow EC2 GroupDescription rules', () => {
  const configs = readdirSync(PLANS).filter((f) => /\.ya?ml$/.test(f));

  it('the rule itself refuses what AWS refuses', () => {
    assert.ok(!ALLOWED.test("Kafka ports from analytics's clients"));
    assert.ok(ALLOWED.test('Kafka ports from the clients of analytics only'));
  });

  for (const file of configs) {
    it(`plans/${file}, with and without monitor`, async () => {
      const { input } = await loadOffline(path.join(PLANS, file));
      const withMonitor = {
        ...input,
        config: {
          ...input.config,
          monitor: { everyMinutes: 5, alarmAfter: 2, namespace: 'Mpl', timeoutMs: 2000 },
        },
        // What the monitor's function needs from files (its bundle's hash, the CA): stand-ins.
        monitor: { codeSha256: 'c2hh', ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' },
      };
      for (const i of [input, withMonitor]) {
        const groups = planStack(i as typeof input).resources.filter((r) => r.kind === 'security-group');
        assert.ok(groups.length > 0, 'the plan has security groups');
        for (const g of groups) {
          const d = (g.props as { description: string }).description;
          assert.match(d, ALLOWED, `${g.id}: ${d}`);
        }
      }
    });
  }
});
