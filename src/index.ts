// msk-privatelink as a library: the operations the commands run, and the types they take and give.
export * from './ops/index.js';
export {
  estimateCost,
  type CostReport,
  type CostOption,
  type CostLine,
  type OptionId,
} from './cost/estimate.js';
export { renderCost } from './cost/render.js';
export { renderPlan } from './plan/render.js';
export {
  planJson,
  PlanJsonSchema,
  redactProps,
  type PlanJson,
  type PlanJsonChange,
} from './plan/plan-json.js';
export { planFileText, toPlanFile, type PlanFile, type PlanResult } from './plan/plan-file.js';
export type { Change, Action, Summary } from './plan/diff.js';
export type { Config, Inventory } from './config/schema.js';
export { loadConfig, loadInventory } from './config/load.js';
export type { Finding } from './planner/lint.js';
export type { ProbeReport } from './probe/types.js';
export type { ExecResult } from './executor/engine.js';
export { CollectingReporter, silent, levelOf, type Reporter, type RunEvent, type Level } from './events.js';
export { MplError, InputError, PlanRefused, ERRORS, type ErrorCode, type ErrorInfo } from './errors.js';
export { KINDS, type Kind, type Resource, type PropsOf } from './kinds/index.js';
export type { Instance } from './state/instance.js';
export { main } from './cli/main.js';
