// The one refusal of an export that meets kinds its format cannot hold (EXPORT_UNSUPPORTED).
import { MplError } from '../errors.js';

/** The monitor's kinds: its probe function is code this tool builds and uploads, not a template's. */
const MONITOR_KINDS = ['iam-role', 'lambda-function', 'schedule', 'metric-alarm'];

export function unsupportedExport(
  format: 'cloudformation' | 'terraform',
  kinds: ReadonlySet<string>,
): MplError {
  return new MplError(
    'EXPORT_UNSUPPORTED',
    MONITOR_KINDS.some((k) => kinds.has(k))
      ? 'export does not cover the in-VPC monitor (monitor: in the config): its probe function is code this tool builds; export a config without monitor, and apply the monitor with msk-privatelink, or run probe --in-vpc'
      : `export --format ${format} does not cover ${[...kinds].sort().join(', ')}: this plan cannot be exported`,
  );
}
