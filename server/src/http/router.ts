// Builds the express router from the route table: each declared route is mounted at its path and
// method, behind the role check its `access` names, with its body and query validated against the
// contracts it declares, before its handler runs (a refusal there is audited: refusals.ts).
// Handlers are typed from the same declaration: their input by the request contracts, their answer
// by the response contracts.
import express, { Router, type Request, type Response } from 'express';
import type { Contract, Contracts, SchemaId } from '../contracts/index.js';
import type { CallContext } from '../service/index.js';
import type { ApiRoute, ApiRouteTable, OperationId } from './api.js';
import { context } from './context.js';
import { requireRole } from './roles.js';

type DeclaredRoute = ApiRouteTable[number];
type RouteOf<Id extends OperationId> = Extract<DeclaredRoute, { id: Id }>;

type BodyOf<R> = R extends { body: { schema: infer S extends SchemaId; raw: readonly string[] } } ? Contract<S> | Buffer
  : R extends { body: { schema: infer S extends SchemaId } } ? Contract<S> : undefined;
type QueryOf<R> = R extends { query: infer S extends SchemaId } ? Contract<S> : undefined;
type AnswerBody<A> = A extends { schema: infer S extends SchemaId } ? Contract<S> : A extends { produces: string } ? string : object;
type AnswerOf<R extends { ok: object }> = { [S in keyof R['ok']]: { status: S; body: AnswerBody<R['ok'][S]> } }[keyof R['ok']];

/** What a handler returns when it wrote the response itself (a stream). */
export const ANSWERED = { answered: true } as const;

export interface RouteInput<R> {
  body: BodyOf<R>;
  query: QueryOf<R>;
  params: Record<string, string>;
  call: CallContext;
  req: Request;
  res: Response;
}

export type RouteHandler<R extends { ok: object }> = (input: RouteInput<R>) => Promise<AnswerOf<R> | typeof ANSWERED> | AnswerOf<R> | typeof ANSWERED;

/** One handler per declared route: the compiler refuses a table entry without one. */
export type RouteHandlers = { [Id in OperationId]: RouteHandler<RouteOf<Id>> };

export interface ApiRouterOptions {
  contracts: Contracts;
  /** Largest raw body (an uploaded package), compressed; what it may unpack to is bounded elsewhere. */
  rawLimitBytes: number;
}

/** `/v1/skills/{name}` -> `/v1/skills/:name` */
function expressPath(template: string): string {
  return template.replace(/\{([a-z_]+)\}/g, ':$1');
}

/** Query values arrive as strings: an integer parameter that is all digits is read as a number, else left for the contract to refuse. */
function typedQuery(query: Record<string, unknown>, schema: object | undefined): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
  const typed: Record<string, unknown> = { ...query };
  for (const [name, value] of Object.entries(typed)) {
    if (properties[name]?.type === 'integer' && typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) typed[name] = Number(value);
  }
  return typed;
}

function readBody(route: ApiRoute, req: Request, contracts: Contracts): unknown {
  if (!route.body) return undefined;
  if (route.body.raw && req.is([...route.body.raw])) return req.body as unknown;
  return contracts.assert(route.body.schema as SchemaId, req.body ?? {});
}

export function createApiRouter(routes: readonly ApiRoute[], handlers: Partial<Record<string, RouteHandler<ApiRoute>>>, options: ApiRouterOptions): Router {
  const router = Router();
  for (const route of routes) {
    const handler = handlers[route.id];
    if (!handler) throw new Error(`route ${route.method} ${route.path} (${route.id}) has no handler`);
    const guard = route.access === 'public' ? [] : [requireRole(route.access)];
    // The role is checked before a raw body is read; inflate: false, because the gzip *is* the package.
    const raw = route.body?.raw ? [express.raw({ type: [...route.body.raw], limit: options.rawLimitBytes, inflate: false })] : [];
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    router[method](expressPath(route.path), ...guard, ...raw, async (req: Request, res: Response) => {
      const ctx = context(res);
      const body = readBody(route, req, options.contracts);
      const query = route.query ? options.contracts.assert(route.query as SchemaId, typedQuery(req.query, options.contracts.schemas.get(route.query)), 'query') : undefined;
      // A refusal before this line is the router's (audited as request.refused); after it, the use case's.
      ctx.handlerStarted = true;
      const answer = await handler({
        body: body as never,
        query: query as never,
        params: req.params as Record<string, string>,
        call: { actor: ctx.actor, requestId: ctx.requestId },
        req,
        res,
      });
      if ('answered' in answer) return;
      const produces = route.ok[Number(answer.status)]?.produces;
      if (produces) res.status(Number(answer.status)).type(produces).send(answer.body);
      else res.status(Number(answer.status)).json(answer.body);
    });
  }
  return router;
}

/** The handlers of the service's own table, checked complete by type, as the router takes them. */
export function declaredHandlers(handlers: RouteHandlers): Partial<Record<string, RouteHandler<ApiRoute>>> {
  return handlers as unknown as Partial<Record<string, RouteHandler<ApiRoute>>>;
}
