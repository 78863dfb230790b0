// Plans a stack and prices every way to reach its cluster, with the library instead of the CLI.
// Run from the repository after `npm ci` (which builds dist/): node examples/plan-and-price.mjs [CONFIG]
import { cost, planOffline, renderPlan } from 'msk-privatelink';

const configFile =
  process.argv[2] ?? new URL('../plans/pattern1-one-consumer.yaml', import.meta.url).pathname;

// Offline: the brokers come from the config's inventory file, and no AWS call is made. With AWS
// credentials, `withStack(configFile, { reporter }, planLive)` plans against the live account.
const plan = await planOffline(configFile);
console.log(renderPlan(plan.changes, plan.summary, plan.findings, { color: false }));

const report = await cost(configFile, { offline: true, gbPerMonth: 500 });
for (const option of report.options) {
  const mark = option.id === report.selected ? ' (configured)' : '';
  console.log(
    `${option.id}${mark}: ${option.viable ? `$${option.monthlyUsd.toFixed(2)} a month` : `not viable: ${option.reason}`}`,
  );
}
