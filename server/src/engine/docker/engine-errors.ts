// Engine failures as the service's errors: an engine that cannot be reached, or cannot start the
// sandbox, is 503 `unavailable` with a Retry-After (SPEC §3), not a 500 bug.
import { AppError, UnavailableError } from '../../errors.js';

const RETRY_AFTER_S = 5;
/** A missing image needs an operator (`npm run setup`): ask clients to come back later than for a hiccup. */
const MISSING_IMAGE_RETRY_AFTER_S = 30;

// Socket-level failures: no engine listening, no socket file, no permission, a dropped connection.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ABORT_ERR']);

interface EngineFailure {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

export function statusCodeOf(error: unknown): number | undefined {
  const statusCode = (error as EngineFailure | null)?.statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** Maps what dockerode threw; anything that is not the engine's fault is returned unchanged. */
export function engineError(error: unknown, image: string): unknown {
  if (error instanceof AppError || typeof error !== 'object' || error === null) return error;
  const { code, message } = error as EngineFailure;
  const statusCode = statusCodeOf(error);
  const text = typeof message === 'string' ? message : String(error);
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new UnavailableError(`the container engine is unreachable (${code})`, RETRY_AFTER_S, { cause: code });
  }
  if (statusCode === 404 && /image/i.test(text)) {
    return new UnavailableError(`the runner image ${image} is not present on the engine; \`npm run setup\` builds it`, MISSING_IMAGE_RETRY_AFTER_S, { image });
  }
  if (statusCode !== undefined && statusCode >= 500) {
    return new UnavailableError(`the container engine could not run the sandbox: ${text.trim()}`, RETRY_AFTER_S, { status: statusCode });
  }
  return error;
}
