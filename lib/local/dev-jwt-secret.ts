// The development signing key for local tokens (docs/api.md). It is public on purpose: it lives in the
// repository so `npx grantplane token` works without a running stack. Only the local server accepts
// tokens signed with it; a deployed Lambda trusts API Gateway's JWT authorizer, never this key.
export const DEV_JWT_SECRET = 'grantplane-local-development-key-not-a-secret-do-not-use-in-aws';
