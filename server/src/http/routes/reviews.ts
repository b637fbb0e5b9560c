// GET /v1/reviews, POST /v1/reviews/{id}/approve and /reject (admin).
import type { ReviewService, ReviewVerdict } from '../../service/index.js';
import type { RouteHandlers, RouteInput } from '../router.js';

export function reviewsHandlers(deps: { reviews: ReviewService }): Pick<RouteHandlers, 'listReviews' | 'approveReview' | 'rejectReview'> {
  const decide = (verdict: ReviewVerdict) => async ({ body, params, call }: RouteInput<{ body: { schema: 'review_decision.json' } }>) =>
    ({ status: 200 as const, body: await deps.reviews.decide(String(params.id), verdict, { ...call, reason: body.reason, network: body.network }) });
  return {
    listReviews: async () => ({ status: 200, body: { reviews: await deps.reviews.pending() } }),
    approveReview: decide('approve'),
    rejectReview: decide('reject'),
  };
}
