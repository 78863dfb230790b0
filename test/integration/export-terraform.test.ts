// `export --format terraform` (issue 16): the bundled examples as one `.tf.json` each, checked
// against the arguments of hashicorp/aws (its schema, test/support/terraform-aws-schema.json,
// written by test/support/terraform-schema.ts from `terraform providers schema -json`), compared
// with the plan, and, where Terraform and the provider are installed (a plugin mirror,
// TF_PLUGIN_DIR, /opt/tf-plugins by default), passed through `terraform validate`. No AWS call.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportStack } from '../../src/ops/export.js';
import { planOffline } from '../../src/ops/plan.js';
import { runCli } from '../support/run-cli.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PLUGINS = process.env.TF_PLUGIN_DIR ?? '/opt/tf-plugins';

interface Attr {
  required: boolean;
  optional: boolean;
  computed: boolean;
}
interface Block {
  attributes: Record<string, Attr>;
  blocks: Record<string, Block & { nesting: string }>;
}
const SCHEMA = JSON.parse(
  readFileSync(path.join(ROOT, 'test/support/terraform-aws-schema.json'), 'utf8'),
) as {
  resource: Record<string, Block>;
  data: Record<string, Block>;
};
const META = new Set(['provider', 'depends_on', 'for_each', 'count', 'lifecycle']);

type Config = {
  provider: { aws: Array<{ alias: string; region: string; allowed_account_ids: string[] }> };
  variable?: Record<string, unknown>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
};

/** Every problem of `body` against `block`: unknown, computed-only or missing arguments. */
function argumentProblems(where: string, body: Record<string, unknown>, block: Block, meta = true): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (meta && META.has(k)) continue;
    const a = block.attributes[k];
    const b = block.blocks[k];
    if (a) {
      if (!a.required && !a.optional) out.push(`${where}: ${k} is computed only`);
    } else if (b) {
      const list = Array.isArray(v) ? v : [v];
      list.forEach((x, i) =>
        out.push(...argumentProblems(`${where}.${k}[${i}]`, x as Record<string, unknown>, b, false)),
      );
    } else out.push(`${where}: no argument ${k}`);
  }
  for (const [k, a] of Object.entries(block.attributes))
    if (a.required && !(k in body)) out.push(`${where}: ${k} missing`);
  return out;
}

/** Every `${type.name.attr...}` reference in a value. */
function references(v: unknown): string[] {
  if (typeof v === 'string') return [...v.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);
  if (Array.isArray(v)) return v.flatMap(references);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(references);
  return [];
}

function structuralProblems(c: Config): string[] {
  const out: string[] = [];
  const aliases = new Set(c.provider.aws.map((p) => `aws.${p.alias}`));
  for (const [type, items] of Object.entries(c.resource)) {
    const block = type === 'terraform_data' ? undefined : SCHEMA.resource[type];
    if (type !== 'terraform_data' && !block) {
      out.push(`resource type ${type} is not in the schema`);
      continue;
    }
    for (const [name, body] of Object.entries(items)) {
      if (block) {
        out.push(...argumentProblems(`${type}.${name}`, body, block));
        if (!aliases.has(body.provider as string))
          out.push(`${type}.${name}: provider ${String(body.provider)}`);
      }
      for (const ref of references(body)) {
        const m = /^(?:toset\()?(data\.)?([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)/.exec(ref);
        if (ref.startsWith('self.') || ref.startsWith('var.') || ref === 'each.value') continue;
        if (!m) {
          out.push(`${type}.${name}: reference ${ref}`);
          continue;
        }
        const [, data, t, n, attr] = m as unknown as [string, string | undefined, string, string, string];
        const target = data ? c.data?.[t]?.[n] : c.resource[t]?.[n];
        if (!target) out.push(`${type}.${name}: ${ref} names nothing`);
        const schema = data ? SCHEMA.data[t] : SCHEMA.resource[t];
        if (schema && !(attr in schema.attributes))
          out.push(`${type}.${name}: ${t} has no attribute ${attr}`);
      }
    }
  }
  for (const [type, items] of Object.entries(c.data ?? {}))
    for (const [name, body] of Object.entries(items)) {
      const block = SCHEMA.data[type];
      if (!block) out.push(`data type ${type} is not in the schema`);
      else out.push(...argumentProblems(`data.${type}.${name}`, body, block));
    }
  return out;
}

const terraform = async (dir: string, args: string[]) =>
  run('terraform', [...args, '-no-color'], { cwd: dir, env: { ...process.env, TF_IN_AUTOMATION: '1' } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  );

describe('export --format terraform (hashicorp/aws schema, terraform validate)', function () {
  this.timeout(300_000);
  let dir: string;
  let canValidate = false;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-export-tf-'));
    const p2 = await readFile(path.join(ROOT, 'plans/pattern2-one-consumer.yaml'), 'utf8');
    await writeFile(
      path.join(ROOT, 'plans/.export-tf-p2-broker-names.yaml'),
      p2.replace(/^pattern2:$/m, 'pattern2:\n  names: broker'),
    );
    canValidate = existsSync(PLUGINS) && (await terraform(dir, ['version'])).code === 0;
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await rm(path.join(ROOT, 'plans/.export-tf-p2-broker-names.yaml'), { force: true });
  });

  const CASES: Array<[string, string[]]> = [
    ['pattern1-three-consumers.yaml', []],
    ['pattern0-one-consumer.yaml', ['cluster-connectivity']],
    ['pattern2-one-consumer.yaml', ['cluster-configuration']],
    ['.export-tf-p2-broker-names.yaml', ['cluster-configuration']],
    ['pattern2-express.yaml', ['cluster-configuration']],
  ];
  for (const [file, commandKinds] of CASES) {
    it(`${file}: every argument in the provider's schema, every resource with its tags in its account, the commands ordered`, async () => {
      const config = path.join(ROOT, 'plans', file);
      const r = await exportStack(config, 'terraform');
      const tf = r.files.find((f) => f.name.endsWith('.tf.json'));
      assert.ok(tf);
      const c = JSON.parse(tf.content) as Config;
      assert.deepEqual(structuralProblems(c), []);

      const plan = await planOffline(config);
      // Every tagged resource of the plan, by its id tag, with its tags, through its account's alias.
      const tagged = new Map<string, { address: string; body: Record<string, unknown> }>();
      for (const [type, items] of Object.entries(c.resource))
        for (const [name, body] of Object.entries(items)) {
          const id = (body.tags as Record<string, string> | undefined)?.['msk-privatelink:id'];
          if (id !== undefined) tagged.set(id, { address: `${type}.${name}`, body });
        }
      const aliasOf = new Map(c.provider.aws.map((p) => [`aws.${p.alias}`, p]));
      for (const res of plan.desired) {
        const tags = (res.props as { tags?: Record<string, string> }).tags;
        if (tags === undefined) continue;
        const found = tagged.get(res.id);
        assert.ok(found, `${res.id} is in the configuration`);
        assert.deepEqual(found.body.tags, tags, `${res.id}: tags`);
        const p = aliasOf.get(found.body.provider as string);
        assert.deepEqual(p?.allowed_account_ids, [res.account], `${res.id}: its account's provider`);
        assert.equal(p?.region, res.region);
      }
      // A resource made of several (an endpoint service's permissions, one per principal) is waited
      // for whole: an endpoint whose account is not allowed yet is refused (InvalidServiceName).
      for (const [name, body] of Object.entries(c.resource.aws_vpc_endpoint ?? {})) {
        const after = (body.depends_on ?? []) as string[];
        assert.ok(
          after.some((d) => d.startsWith('aws_vpc_endpoint_service_allowed_principal.')),
          `aws_vpc_endpoint.${name} waits for its service's permissions`,
        );
      }
      // Acceptances are resources; what no resource does is a command, and what waits for it in the
      // plan depends on it.
      const accepters = Object.keys(c.resource.aws_vpc_endpoint_connection_accepter ?? {});
      assert.equal(
        accepters.length,
        plan.desired.filter((x) => x.kind === 'endpoint-connection-acceptance').length,
      );
      assert.deepEqual(
        r.manual.map((m) => m.id).sort(),
        plan.desired
          .filter((x) => commandKinds.includes(x.kind))
          .map((x) => x.id)
          .sort(),
      );
      for (const m of r.manual) {
        const name = m.id.replace(/[^a-z0-9]+/g, '_');
        const address = `terraform_data.${name}`;
        // After what it needs (the NLB's listeners for a configuration)...
        const own = plan.desired.find((x) => x.id === m.id);
        const after = (c.resource.terraform_data?.[name]?.depends_on ?? []) as string[];
        for (const d of own?.dependsOn ?? []) {
          const dep = tagged.get(d);
          if (dep !== undefined) assert.ok(after.includes(dep.address), `${m.id} after ${dep.address}`);
        }
        // ...and before what needs it (the VPC connections, the brokers' own names).
        for (const w of plan.desired.filter((x) => x.dependsOn.includes(m.id))) {
          const body = tagged.get(w.id)?.body;
          if (body === undefined) continue;
          assert.ok(
            (body.depends_on as string[] | undefined)?.includes(address),
            `${w.id} depends on ${address}`,
          );
        }
      }

      if (!canValidate) return;
      const work = await mkdtemp(path.join(dir, 'v-'));
      await writeFile(path.join(work, tf.name), tf.content);
      const init = await terraform(work, ['init', '-input=false', `-plugin-dir=${PLUGINS}`]);
      assert.equal(init.code, 0, init.out);
      const v = await terraform(work, ['validate']);
      assert.equal(v.code, 0, v.out);
      assert.match(v.out, /The configuration is valid/);
    });
  }

  it('the checks are really looking: a misspelt argument fails both', async () => {
    const r = await exportStack(path.join(ROOT, 'plans/pattern1-one-consumer.yaml'), 'terraform');
    const tf = r.files.find((f) => f.name.endsWith('.tf.json'));
    assert.ok(tf);
    const c = JSON.parse(tf.content) as Config;
    const lb = Object.values(c.resource.aws_lb ?? {})[0] as Record<string, unknown>;
    lb.subnet_ids = lb.subnets;
    delete lb.subnets;
    assert.match(structuralProblems(c).join('\n'), /no argument subnet_ids/);
    if (!canValidate) return;
    const work = await mkdtemp(path.join(dir, 'bad-'));
    await writeFile(path.join(work, tf.name), JSON.stringify(c));
    assert.equal((await terraform(work, ['init', '-input=false', `-plugin-dir=${PLUGINS}`])).code, 0);
    const v = await terraform(work, ['validate']);
    assert.notEqual(v.code, 0);
    assert.match(v.out, /subnet_ids/);
  });

  it('refuses what Terraform cannot hold, with exit 1 and one message, writing nothing', async () => {
    const out = await mkdtemp(path.join(dir, 'no-'));
    const cases: Array<[string, RegExp]> = [
      ['pattern3-three-consumers.yaml', /EXPORT_UNSUPPORTED.*pattern 3.*custom domain name/],
      ['pattern2-three-consumers.yaml', /EXPORT_UNSUPPORTED.*rewrite and additive modes/],
      ['pattern2-custom-domain.yaml', /EXPORT_UNSUPPORTED.*monitor/],
    ];
    for (const [file, why] of cases) {
      const r = await runCli([
        'export',
        '--config',
        path.join(ROOT, 'plans', file),
        '--format',
        'terraform',
        '--out',
        out,
      ]);
      assert.equal(r.code, 1, file);
      assert.match(r.err, why);
    }
    assert.deepEqual(await readdir(out), []);
  });

  it('writes the configuration and how to apply it, with the commands Terraform runs', async () => {
    const out = await mkdtemp(path.join(dir, 'out-'));
    const r = await runCli([
      'export',
      '--config',
      path.join(ROOT, 'plans/pattern0-one-consumer.yaml'),
      '--format',
      'terraform',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((await readdir(out)).sort(), ['payments-terraform.md', 'payments.tf.json']);
    const md = await readFile(path.join(out, 'payments-terraform.md'), 'utf8');
    assert.match(md, /aws kafka update-connectivity/);
    assert.match(md, /-var aws_cli_profile_111111111111=/);
  });
});
