// The library: every operation the commands run, with their types. The CLI is a thin shell over it.
export { withStack, DEFAULT_WAIT, type Stack, type StackOptions } from './stack.js';
export {
  planOffline,
  planLive,
  apply,
  applyPlan,
  applySaved,
  destroy,
  readPlanFile,
  type ApplyOutcome,
  type Confirm,
} from './plan.js';
export { status, type Drift, type StatusReport } from './status.js';
export { probe, type ProbeRequest } from './probe.js';
export { probeInVpc, type InVpcRequest, type InVpcReport, type InVpcSite } from './probe-in-vpc.js';
export { cost } from './cost.js';
export { discover } from './discover.js';
export { statePull, type PullResult } from './pull.js';
export {
  statePush,
  forceUnlock,
  type PushResult,
  type ForceUnlockResult,
  type StateOptions,
  type LockInfo,
} from './state.js';
export { iamPolicy, type IamPolicyReport } from './iam-policy.js';
export { exportStack, type ExportFormat, type ExportFile, type ExportResult } from './export.js';
