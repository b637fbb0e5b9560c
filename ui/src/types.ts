// The API's shapes as the console reads them (README, contracts/ and GET /openapi.json say them in full).

export type Role = 'client' | 'author' | 'admin';
export type SkillStatus = 'draft' | 'pending_review' | 'active' | 'blocked';

export interface Finding {
  rule: string;
  severity: 'info' | 'warning' | 'escalate' | 'block';
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
}

export interface Review {
  decision: 'APPROVE' | 'WARN' | 'ESCALATE' | 'BLOCK';
  findings: Finding[];
}

export interface ReviewDecision {
  verdict: 'approve' | 'reject';
  reason: string | null;
  actor: string | null;
  decided_at: string;
}

export interface Limits {
  timeout_ms: number;
  memory_mb: number;
  cpus: number;
  pids: number;
  output_bytes: number;
}

export interface LimitPolicy {
  defaults: Limits;
  max: Limits;
  concurrency: number;
  queue: number;
}

export interface SkillSummary {
  name: string;
  version: string;
  status: SkillStatus;
  description: string;
  tags: string[];
  origin: string;
  digest: string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  review_decision?: ReviewDecision;
  /** The network origins an admin approved (exactly the manifest's list then). */
  approved_network?: string[];
}

export interface SkillVersion extends SkillSummary {
  runtime?: string;
  entrypoint?: string;
  handler?: string;
  input_schema?: JsonSchema;
  output_schema?: JsonSchema;
  limits?: Partial<Limits>;
  permissions?: Record<string, unknown>;
  review: Review;
  files: Record<string, string>;
}

export interface SkillDetail {
  name: string;
  versions: SkillVersion[];
}

export interface PendingReview {
  id: string;
  skill: { name: string; version: string; description: string; origin: string };
  review: Review;
  /** The origins the skill asks to reach: approving grants exactly these. */
  network: string[];
  created_at: string;
  created_by: string | null;
}

export interface AuditEntry {
  time: string;
  seq: number;
  event: string;
  actor: string | null;
  request_id: string | null;
  skill?: string | null;
  version?: string | null;
  decision?: string | null;
  outcome: string;
  duration_ms?: number | null;
  details?: Record<string, unknown>;
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  files: string[];
  head: { seq: number; hash: string } | null;
  torn_tail: { file: string; line: number; bytes: number } | null;
  failure: { file: string; line: number; kind: string; message: string } | null;
}

export interface ServiceStatus {
  engine: { reachable: boolean; image_present: boolean | null; runtime: 'runc' | 'runsc' | null; image: string };
  pool: { size: number; ready: number; starting: number } | null;
  queue: { running: number; waiting: number; concurrency: number; queue: number };
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  title?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  [keyword: string]: unknown;
}
