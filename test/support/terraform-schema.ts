// Writes test/support/terraform-aws-schema.json: the arguments of the hashicorp/aws resources and
// data sources `export --format terraform` uses, from the provider's own schema
// (`terraform providers schema -json`), so the export's structural test runs without Terraform.
// Run again (`npm run terraform:schema`) when the export uses a new type or another provider
// version; it needs Terraform and the provider, from a plugin mirror (TF_PLUGIN_DIR) or the registry.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AWS_PROVIDER_VERSION } from '../../src/export/terraform.js';

const RESOURCES = [
  'aws_security_group',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
  'aws_lb',
  'aws_lb_target_group',
  'aws_lb_target_group_attachment',
  'aws_lb_listener',
  'aws_vpc_endpoint_service',
  'aws_vpc_endpoint_service_allowed_principal',
  'aws_vpc_endpoint',
  'aws_vpc_endpoint_connection_accepter',
  'aws_route53_zone',
  'aws_route53_record',
  'aws_ssm_parameter',
  'aws_msk_cluster_policy',
  'aws_msk_vpc_connection',
];
const DATA = ['aws_vpc', 'aws_subnet'];

interface Attr {
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
}
interface Block {
  attributes?: Record<string, Attr>;
  block_types?: Record<string, { nesting_mode: string; block: Block }>;
}

/** What a type takes: each attribute (required, optional, computed) and each nested block. */
function reduce(b: Block): unknown {
  return {
    attributes: Object.fromEntries(
      Object.entries(b.attributes ?? {}).map(([k, a]) => [
        k,
        { required: a.required === true, optional: a.optional === true, computed: a.computed === true },
      ]),
    ),
    blocks: Object.fromEntries(
      Object.entries(b.block_types ?? {}).map(([k, t]) => [
        k,
        { nesting: t.nesting_mode, ...(reduce(t.block) as object) },
      ]),
    ),
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'mpl-tf-schema-'));
try {
  writeFileSync(
    path.join(dir, 'main.tf.json'),
    JSON.stringify({
      terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION } } },
    }),
  );
  const plugins = process.env.TF_PLUGIN_DIR;
  execFileSync('terraform', ['init', '-input=false', ...(plugins ? [`-plugin-dir=${plugins}`] : [])], {
    cwd: dir,
    stdio: 'ignore',
  });
  const schema = JSON.parse(
    execFileSync('terraform', ['providers', 'schema', '-json'], { cwd: dir, maxBuffer: 1 << 30 }).toString(),
  ) as {
    provider_schemas: Record<
      string,
      {
        resource_schemas: Record<string, { block: Block }>;
        data_source_schemas: Record<string, { block: Block }>;
      }
    >;
  };
  const aws = schema.provider_schemas['registry.terraform.io/hashicorp/aws'];
  if (!aws) throw new Error('no hashicorp/aws schema');
  const pick = (all: Record<string, { block: Block }>, names: string[]) =>
    Object.fromEntries(
      names.map((n) => {
        const s = all[n];
        if (!s) throw new Error(`hashicorp/aws ${AWS_PROVIDER_VERSION} has no ${n}`);
        return [n, reduce(s.block)];
      }),
    );
  const out = {
    provider: `hashicorp/aws ${AWS_PROVIDER_VERSION}`,
    source: 'terraform providers schema -json (test/support/terraform-schema.ts)',
    resource: pick(aws.resource_schemas, RESOURCES),
    data: pick(aws.data_source_schemas, DATA),
  };
  const file = path.join(import.meta.dirname, 'terraform-aws-schema.json');
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${file}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
