// Its own module so a reader of the list (git sync, infra) does not load the ticket parsing with it.

/** The ticket systems with a webhook route (docs/webhooks.md): the one list the router, sync and infra use. */
export const WEBHOOK_KINDS = ['generic', 'jira', 'servicenow'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];
