// One class per error code of SPEC §3. Thrown where the problem is found; the HTTP layer's single
// error middleware turns them into `{"error": {code, message, details, request_id}}`.

export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  blocked: 422,
  overloaded: 429,
  internal: 500,
  unavailable: 503,
  storage_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Seconds for the `Retry-After` header (429, 503). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('validation_failed', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'a valid API key is required') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('forbidden', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('not_found', message, details);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(message: string, readonly allow: readonly string[]) {
    super('method_not_allowed', message, { allow });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('conflict', message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('payload_too_large', message, details);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('unsupported_media_type', message, details);
  }
}

export class BlockedError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('blocked', message, details);
  }
}

export class OverloadedError extends AppError {
  constructor(message: string, retryAfterS: number) {
    super('overloaded', message, {}, retryAfterS);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, retryAfterS: number, details: Record<string, unknown> = {}) {
    super('unavailable', message, details, retryAfterS);
  }
}

/** The audit log (or the store) cannot be written: the service refuses changes and runs until it can (SPEC §3). */
export class StorageUnavailableError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('storage_unavailable', message, details, 5);
  }
}
