// GET /v1/reviews, POST /v1/reviews/{id}/approve and /reject (admin).
import { Router } from 'express';
import type { Contracts } from '../../contracts/index.js';
import type { ReviewService, ReviewVerdict } from '../../service/reviews.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export function createReviewsRouter(deps: { reviews: ReviewService; contracts: Contracts }): Router {
  const router = Router();
  router.get('/v1/reviews', requireRole('admin'), async (_req, res) => {
    res.json({ reviews: await deps.reviews.pending() });
  });
  for (const verdict of ['approve', 'reject'] as ReviewVerdict[]) {
    router.post(`/v1/reviews/:id/${verdict}`, requireRole('admin'), async (req, res) => {
      const { reason, network } = deps.contracts.assert<{ reason?: string; network?: string[] }>('review_decision.json', req.body ?? {});
      const ctx = context(res);
      res.json(await deps.reviews.decide(String(req.params.id), verdict, { actor: ctx.actor, requestId: ctx.requestId, reason, network }));
    });
  }
  return router;
}
