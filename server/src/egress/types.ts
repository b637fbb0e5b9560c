// The broker's vocabulary: its configuration (SPEC §10 egress.*), a request as a skill asks for it,
// and the reply it gets back.

export interface EgressSecret {
  /** An origin as a manifest writes it; the header goes to every request to a matching origin. */
  origin: string;
  header: string;
  value: string;
}

export interface EgressConfig {
  allow_cidrs: string[];
  secrets: EgressSecret[];
  /** Requests of one run, redirect hops and refused requests included. */
  max_requests: number;
  /** Bytes of one run, request bodies out and response bodies in together. */
  max_bytes: number;
  /** The longest one request (one hop) may take; a skill may ask for less. */
  timeout_ms: number;
}

/** Who is asking: the run, its skill, and the origins an admin approved for it. */
export interface EgressRun {
  runId: string;
  requestId: string;
  actor: string | null;
  skill: string;
  version: string;
  origins: string[];
}

export interface EgressRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | null;
  timeout_ms?: number;
}

/** What went wrong, named as the skill's `net` module raises it. */
export type EgressFailureKind = 'refused' | 'budget' | 'timeout' | 'connection' | 'invalid';

export type EgressReply =
  | { ok: true; status: number; headers: Record<string, string>; body: Buffer }
  | { ok: false; error: { kind: EgressFailureKind; message: string } };

export class EgressFailure extends Error {
  constructor(readonly kind: EgressFailureKind, message: string) {
    super(message);
  }
}
