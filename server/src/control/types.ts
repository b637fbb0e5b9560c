// The control layer's vocabulary (SPEC §4): a review of a skill's files is a decision and findings.

export type Decision = 'APPROVE' | 'WARN' | 'ESCALATE' | 'BLOCK';
export type Severity = 'info' | 'warning' | 'escalate' | 'block';

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
}

export interface Review {
  decision: Decision;
  findings: Finding[];
  /** The digest of the files reviewed (ControlLayer.digest): a run refuses files that no longer match it. */
  digest?: string;
}

/** The policy a review is made under (from config.control and config.limits.max). */
export interface ControlPolicy {
  allow_imports: string[];
  allow_builtins: string[];
  /** Kernel grants (processes, sockets); the static layer does not read them, the runner does. */
  allow_capabilities: import('../config/index.js').Capability[];
  max_files: number;
  max_code_bytes: number;
  max_limits: import('../config/index.js').Limits;
  /** Work budget of one review (parse.ts WorkBudget units); past it the review escalates. Default 2,000,000. */
  max_review_work?: number;
}
