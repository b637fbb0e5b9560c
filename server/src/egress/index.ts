export { EgressBroker, EgressSession } from './broker.js';
export { cidrProblem } from './addresses.js';
export { canonicalOrigins, parseOrigin, sameOrigins } from './origins.js';
export type { EgressConfig, EgressFailureKind, EgressReply, EgressRequest, EgressRun, EgressSecret } from './types.js';
