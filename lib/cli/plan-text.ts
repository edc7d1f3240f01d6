// `grantplane plan --format text` (docs/webhooks.md): a concise Markdown plan for a pull-request
// comment. Rejections come first because they are what the author must fix; the targets show
// what a reviewer approves: roles, policies, attachments and the uctl update to run.
import type { CompiledTarget, PlanResult, PolicyDocument, Scope } from '../domain/model.js';
import { plural } from './io.js';

/** The IAM managed-policy size limit, counted without white space (C3). */
const POLICY_CHAR_LIMIT = 6144;
// A pull-request comment has a size limit (GitHub: 65,536 characters), and a long one is not read.
// Each list is capped, and the whole text is cut at MAX_CHARS as a last guard; `--format json`
// always has everything.
/** Targets shown in full; the next LISTED_TARGETS get one table row each; the rest are counted. */
export const DETAILED_TARGETS = 20;
export const LISTED_TARGETS = 150;
export const LISTED_REJECTIONS = 100;
export const LISTED_ACCEPTED = 100;
/** Statements spelled out per policy; the rest are counted. */
export const LISTED_STATEMENTS = 12;
export const LISTED_NOTES = 50;
export const LISTED_SECRETS = 50;
export const DETAILED_INFRASTRUCTURE = 10;
export const LISTED_BINDINGS = 100;
export const MAX_CHARS = 60_000;

/** A grant's number as a reviewer counts the entries of the grants file: from 1. */
const entry = (index: number): number => index + 1;

/**
 * Renders a PlanResult as Markdown; `requests` (the input, by index) lets rows say which grant they
 * mean. Grants are numbered from 1, as a reviewer counts the file's entries (`grants[0]` is #1).
 */
export function renderPlanText(
  result: PlanResult,
  requests: readonly unknown[] = [],
  /** Sections placed right after the summary (the diff against the live desired state). */
  sections: readonly string[] = [],
): string {
  const out: string[] = [];
  const verdict =
    result.rejected.length === 0 ? 'all grants accepted' : `${result.rejected.length} rejected — fix before merging`;
  out.push(`## grantplane plan: ${verdict}`, '');
  out.push(
    `**${result.accepted.length} accepted**, **${result.rejected.length} rejected**, ${result.notes.length} ${plural(result.notes.length, 'note')} · ` +
      `${result.targets.length} ${plural(result.targets.length, 'target')} · ` +
      `${countPolicies(result)} ${plural(countPolicies(result), 'policy', 'policies')} · ` +
      `${result.infrastructure.length} infrastructure ${plural(result.infrastructure.length, 'output')}` +
      (result.bindings === undefined
        ? ''
        : ` · ${result.bindings.length} GCP/Azure ${plural(result.bindings.length, 'binding')}`),
    '',
  );
  out.push(...sections);

  if (result.rejected.length > 0) {
    out.push(
      `### Rejected (${result.rejected.length})`,
      '',
      '| # | grant | path | code | what to do |',
      '| --- | --- | --- | --- | --- |',
    );
    const rows = result.rejected.flatMap((rejected) =>
      rejected.errors.map(
        (error) =>
          `| ${entry(rejected.index)} | ${cell(describeRequest(requests[rejected.index]))} | \`${cell(error.path)}\` | \`${cell(error.code)}\` | ${cell(error.message)} |`,
      ),
    );
    out.push(...capped(rows, LISTED_REJECTIONS, (n) => `| … | ${n} more ${plural(n, 'error')} | | | |`), '');
  }

  if (result.accepted.length > 0) {
    out.push(`### Accepted (${result.accepted.length})`, '');
    const rows = result.accepted.map(
      (grant) =>
        `- #${entry(grant.index)} ${describeRequest(requests[grant.index])}${describeReview(requests[grant.index])}`,
    );
    out.push(...capped(rows, LISTED_ACCEPTED, (n) => `- … ${n} more accepted ${plural(n, 'grant')}`), '');
  }

  if (result.notes.length > 0) {
    out.push(`### Notes (${result.notes.length})`, '');
    const rows = result.notes.map(
      (note) =>
        `- #${entry(note.index)} ${describeRequest(requests[note.index])}: \`${note.code}\` ${oneLine(note.message)}`,
    );
    out.push(...capped(rows, LISTED_NOTES, (n) => `- … ${n} more ${plural(n, 'note')}`), '');
  }

  const secrets = result.accepted.filter((grant) => grant.secretGroup !== undefined || grant.secretKey !== undefined);
  if (secrets.length > 0) {
    out.push('### Secrets for task code', '', '| # | secret group | secret key |', '| --- | --- | --- |');
    const rows = secrets.map(
      (grant) => `| ${entry(grant.index)} | ${code(grant.secretGroup)} | ${code(grant.secretKey)} |`,
    );
    out.push(...capped(rows, LISTED_SECRETS, (n) => `| … | ${n} more | |`), '');
  }

  if (result.targets.length > 0) {
    out.push(`### Targets (${result.targets.length})`, '');
    const detailed = result.targets.slice(0, DETAILED_TARGETS);
    const rest = result.targets.slice(DETAILED_TARGETS);
    for (const target of detailed) out.push(...renderTarget(target));
    if (rest.length > 0) {
      out.push(
        `${rest.length} more ${plural(rest.length, 'target')}, in short (\`--format json\` shows every document):`,
        '',
        '| plane | scope | role | policies | statements |',
        '| --- | --- | --- | --- | --- |',
      );
      const rows = rest.map((target) => {
        const statements = target.policies.reduce((sum, policy) => sum + policy.document.Statement.length, 0);
        return `| ${target.dataPlane} | ${cell(describeScope(target.scope))} | \`${target.role.name}\` | ${target.policies.length} | ${statements} |`;
      });
      out.push(...capped(rows, LISTED_TARGETS, (n) => `| … | ${n} more ${plural(n, 'target')} | | | |`), '');
    }
  }

  if (result.infrastructure.length > 0) {
    out.push(`### Infrastructure for other accounts' owners (${result.infrastructure.length})`, '');
    for (const item of result.infrastructure.slice(0, DETAILED_INFRASTRUCTURE)) {
      out.push(
        `#### ${item.kind}: \`${item.repositoryArn}\``,
        '',
        "Apply this repository policy statement in the repository's account:",
        '',
        '```json',
        JSON.stringify(item.policy, null, 2),
        '```',
        '',
      );
    }
  }
  const more = result.infrastructure.slice(DETAILED_INFRASTRUCTURE);
  if (more.length > 0) {
    out.push(`${more.length} more repository ${plural(more.length, 'policy', 'policies')}:`, '');
    for (const item of more) out.push(`- \`${item.repositoryArn}\``);
  }

  const bindings = result.bindings ?? [];
  if (bindings.length > 0) {
    out.push(
      `### GCP and Azure bindings (${bindings.length})`,
      '',
      'Submitted to the service, these are made by its applier once the grants are approved; a team that applies by hand runs each command (or makes the same binding in the Google Cloud console or the Azure portal).',
      '',
      '| # | plane | resource | role | member |',
      '| --- | --- | --- | --- | --- |',
    );
    const rows = bindings.map(
      (binding) =>
        `| ${binding.grants.map(entry).join(', ')} | ${binding.dataPlane} | \`${cell(binding.resource)}\` | \`${cell(binding.role)}\` | \`${cell(binding.member)}\`${binding.access === 'infrastructure' ? ' (infrastructure)' : ''} |`,
    );
    out.push(...capped(rows, LISTED_BINDINGS, (n) => `| … | ${n} more ${plural(n, 'binding')} | | | |`), '');
    out.push('```sh', ...bindings.slice(0, LISTED_BINDINGS).map((binding) => binding.command), '```', '');
  }
  return limitChars(`${out.join('\n').trimEnd()}\n`, MAX_CHARS);
}

/** A table cell in backticks, or empty when there is nothing to show. */
const code = (text: string | undefined): string => (text === undefined || text === '' ? '' : `\`${cell(text)}\``);

/** The first `limit` rows, then one row saying how many were left out. */
function capped(rows: string[], limit: number, more: (count: number) => string): string[] {
  return rows.length <= limit ? rows : [...rows.slice(0, limit), more(rows.length - limit)];
}

/** Cuts Markdown at a line boundary within `max` characters, closing an open code fence. */
export function limitChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const notice = '\n_… plan cut here to fit a comment: `grantplane plan --format json` has every detail._\n';
  const cut = text.lastIndexOf('\n', max - notice.length - 8);
  const head = text.slice(0, Math.max(cut, 0));
  const fences = head.split('\n').filter((line) => line.startsWith('```')).length;
  return `${head}${fences % 2 === 1 ? '\n```' : ''}\n${notice}`;
}

function renderTarget(target: CompiledTarget): string[] {
  const lines = [`#### ${target.dataPlane} (${target.accountId}) · ${describeScope(target.scope)}`, ''];
  const role = target.role;
  const ownership = role.managed
    ? `managed by grantplane, path \`${role.path}\``
    : 'not managed: grantplane only attaches policies to it';
  lines.push(`- role \`${role.name}\` — ${ownership}`);
  if (role.permissionsBoundaryArn !== null) lines.push(`- permissions boundary \`${role.permissionsBoundaryArn}\``);
  if (target.policies.length === 0) {
    lines.push('- policies: none');
  } else {
    lines.push(`- policies (${target.policies.length}):`);
    for (const policy of target.policies) {
      const statements = policy.document.Statement.length;
      lines.push(
        `  - \`${policy.name}\`: ${statements} ${plural(statements, 'statement')}, ${policySize(policy.document).toLocaleString('en-US')}/${POLICY_CHAR_LIMIT.toLocaleString('en-US')} chars`,
      );
      const said = policy.document.Statement.map((statement) => `    - ${describeStatement(statement)}`);
      lines.push(...capped(said, LISTED_STATEMENTS, (n) => `    - … ${n} more ${plural(n, 'statement')}`));
    }
  }
  lines.push(`- attached (${target.attachedPolicyArns.length}):`);
  for (const arn of target.attachedPolicyArns) lines.push(`  - \`${arn}\``);
  lines.push('');
  if (target.uctl !== null) {
    lines.push(
      `Write \`${target.uctl.file}\` as below, then run \`${target.uctl.command}\`:`,
      '',
      '```yaml',
      target.uctl.yaml.trimEnd(),
      '```',
      '',
    );
  }
  return lines;
}

function countPolicies(result: PlanResult): number {
  return result.targets.reduce((sum, target) => sum + target.policies.length, 0);
}

/** Characters IAM counts against the managed-policy limit: the JSON without white space. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

function describeScope(scope: Scope): string {
  return scope.type === 'global' ? 'global (every project and domain)' : `${scope.project}/${scope.domain}`;
}

/** A field of a raw request as text; one a typo left out reads `?` (the table's path column names it). */
const shown = (value: unknown): string =>
  value === undefined || value === null ? '?' : typeof value === 'string' ? value : JSON.stringify(value);

/** A short human description of a raw grant request; tolerant, since rejected requests may be malformed. */
export function describeRequest(request: unknown): string {
  if (!isRecord(request)) return 'not an object';
  const parts: string[] = [];
  if (typeof request.dataPlane === 'string') parts.push(request.dataPlane);
  const scope = request.scope;
  if (isRecord(scope)) {
    if (scope.type === 'global') parts.push('global');
    else if (scope.type === 'project-domain') parts.push(`${shown(scope.project)}/${shown(scope.domain)}`);
  }
  const resource = request.resource;
  if (isRecord(resource)) {
    switch (resource.type) {
      case 's3':
        parts.push(
          `s3 ${shown(resource.bucket)}${typeof resource.prefix === 'string' ? `/${resource.prefix}` : ''} (${shown(resource.access)})`,
        );
        break;
      case 'secretsmanager':
        parts.push(`secret ${shown(resource.secretArn ?? resource.secretName)}`);
        break;
      case 'ecr':
        parts.push(`ecr ${shown(resource.repositoryArn)}`);
        break;
      case 'iam-statements':
        parts.push(`iam-statements (${Array.isArray(resource.statements) ? resource.statements.length : 0})`);
        break;
      case 'gcs':
        parts.push(`gcs ${shown(resource.bucket)} (${shown(resource.access)})`);
        break;
      case 'artifact-registry':
        parts.push(`artifact-registry ${shown(resource.repository)}`);
        break;
      case 'gcp-secret':
        parts.push(`gcp-secret ${shown(resource.secret)}`);
        break;
      case 'azure-blob':
        parts.push(
          `azure-blob ${shown(resource.storageAccount)}/${shown(resource.container)} (${shown(resource.access)})`,
        );
        break;
      case 'acr':
        parts.push(`acr ${shown(resource.registryId)}`);
        break;
      case 'azure-key-vault':
        parts.push(`azure-key-vault ${shown(resource.vault)}/${shown(resource.secret)}`);
        break;
      default:
        parts.push(`resource ${shown(resource.type)}`);
    }
  }
  return parts.length === 0 ? 'grant' : parts.join(' · ');
}

/** Who asked for it and why, as the request says: justification, ticket, expiry. */
function describeReview(request: unknown): string {
  if (!isRecord(request)) return '';
  const parts: string[] = [];
  if (typeof request.justification === 'string' && request.justification.trim() !== '')
    parts.push(`“${oneLine(request.justification)}”`);
  const ticket = request.ticket;
  if (isRecord(ticket)) parts.push(`ticket ${String(ticket.system)} ${String(ticket.key)}`);
  parts.push(typeof request.expiresAt === 'string' ? `expires ${request.expiresAt}` : 'no expiry');
  return ` — ${parts.join(' · ')}`;
}

/** One policy statement in words: `Allow s3:GetObject, s3:PutObject on arn:…` and its condition. */
export function describeStatement(statement: PolicyDocument['Statement'][number]): string {
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);
  const record = statement as unknown as Record<string, unknown>;
  const actions = list(record.Action ?? record.NotAction).map((action) => `\`${action}\``);
  const resources = list(record.Resource ?? record.NotResource).map((resource) => `\`${resource}\``);
  const negated = record.NotAction !== undefined ? 'every action except ' : '';
  let text = `${String(record.Effect)} ${negated}${actions.join(', ')} on ${resources.join(', ')}`;
  const condition = record.Condition;
  if (isRecord(condition)) {
    const clauses = Object.entries(condition).flatMap(([operator, keys]) =>
      isRecord(keys)
        ? Object.entries(keys).map(
            ([key, value]) =>
              `\`${key}\` ${operator} ${list(value)
                .map((v) => `\`${v}\``)
                .join(' or ')}`,
          )
        : [],
    );
    if (clauses.length > 0) text += ` when ${clauses.join(' and ')}`;
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Escapes a Markdown table cell. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}
