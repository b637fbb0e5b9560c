// The HTTP front door: the route table, the router built from it, the app around it.
export { API_ROUTES, errorCodes, isPublic, routeMatcher, JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE, type ApiRoute, type ApiRouteTable, type OperationId, type SuccessAnswer } from './api.js';
export { createHttpApp, type HttpAppOptions } from './app.js';
export { AuthFailureLimiter, authenticate } from './authenticate.js';
export { context, type RequestContext } from './context.js';
export { answerClientErrors } from './errors.js';
export { createApiRouter, declaredHandlers, type RouteHandlers } from './router.js';
export { adminHandlers } from './routes/admin.js';
export { auditHandlers } from './routes/audit.js';
export { healthHandlers, type Readiness } from './routes/health.js';
export { reviewsHandlers } from './routes/reviews.js';
export { runHandlers } from './routes/run.js';
export { skillsHandlers } from './routes/skills.js';
export { statusHandlers } from './routes/status.js';
export { createConsoleRouter } from './routes/console.js';
