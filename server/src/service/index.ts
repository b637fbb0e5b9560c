// The use cases the HTTP and MCP front doors call: run, the skill lifecycle, reviews, generation,
// the limit policy and admission. Each records its own audit events.
export { LimitsAdmin } from './admin.js';
export { KeysService, type KeyView } from './keys.js';
export { reconcileIntents, type ReconcileDeps, type ReconcileReport } from './reconcile.js';
export { AsyncRuns, type AsyncRunsDeps } from './async-runs.js';
export { CallbackTarget, type CallbackPolicy } from './callback.js';
export { Admission, type AdmissionLimits, type Admitted } from './admission.js';
export { GenerateService, type GeneratedSkill, type GenerateServiceDeps, type IntentRunResult } from './generate.js';
export {
  LifecycleService, viewOf,
  type CreateSkillRequest, type InstallRequest, type LifecycleDeps, type SkillRef, type SkillView, type StoredSkillAnswer,
} from './lifecycle.js';
export { LIMIT_KEYS, PolicyState, type LimitPolicy } from './policy.js';
export { ReviewService, reviewId, type PendingReview, type ReviewVerdict } from './reviews.js';
export { serviceStatus, type ServiceStatus, type StatusDeps } from './status.js';
export { RunService, effectiveLimits, type CallContext, type PreparedRun, type RunRequest, type RunResponse, type RunServiceDeps } from './run.js';
