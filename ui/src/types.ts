// The API's shapes as the console reads them: the types generated from contracts/ (npm run
// contract-types), so the console and the service cannot disagree. A type-only import: esbuild
// erases it, and the console's bundle holds nothing of the server.
import type { components } from '../../server/src/contracts/types.gen';

type Schemas = components['schemas'];

/** GET /v1/me */
export type KeyIdentity = Schemas['key_identity'];
export type Role = KeyIdentity['role'];

export type Finding = Schemas['skill_review_finding'];
export type Review = Schemas['skill_review'];

/** Resource limits with every field given, as in the limit policy. */
export type Limits = Schemas['limit_policy_full_limits'];
/** GET and PUT /v1/admin/limits */
export type LimitPolicy = Schemas['limit_policy'];

/** GET /v1/skills */
export type SkillList = Schemas['skill_list'];
export type SkillSummary = Schemas['skill_view'];
/** GET /v1/skills/{name} */
export type SkillDetail = Schemas['skill_detail'];
export type SkillVersion = SkillDetail['versions'][number];
/** A skill's input_schema: an author's JSON Schema, which the contract says is an object and no more. */
export type InputSchema = Schemas['manifest_input_schema'];

/** GET /v1/reviews */
export type PendingReviews = Schemas['pending_reviews'];
export type PendingReview = PendingReviews['reviews'][number];
/** POST /v1/reviews/{id}/approve and /reject: the body, and the answer. */
export type ReviewDecision = Schemas['review_decision'];
export type ReviewOutcome = Schemas['review_outcome'];

/** GET /v1/audit */
export type AuditEvents = Schemas['audit_events'];
export type AuditEntry = Schemas['audit_events_event'];
/** GET /v1/audit/verify */
export type ChainReport = Schemas['audit_verification'];

/** GET /v1/admin/status */
export type ServiceStatus = Schemas['service_status'];

/** Every error answer. */
export type ErrorAnswer = Schemas['error'];
/** POST /v1/skills/run body. */
export type RunRequest = Schemas['run_skill'];
/** One line of a streamed run (application/x-ndjson). */
export type RunEvent = Schemas['run_event'];
