// How grantplane on AWS signs in to Azure without a secret (AWS outbound identity federation, "Getting
// started with outbound identity federation", AWS IAM User Guide): the web identity token it asks
// STS for, and what the deployment lets its roles mint. Shared by the credential and the stack.

/** The audience a federated identity credential of Microsoft Entra ID expects. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** The token's lifetime: STS's default, and the most the deployment's IAM condition lets a role mint. */
export const ASSERTION_LIFETIME_SECONDS = 300;
