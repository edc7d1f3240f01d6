// The grantplane console: a few pages over the HTTP API, no framework. Everything shown comes from
// the API with the signed-in user's bearer token; nothing is rendered as HTML from data (textContent
// only), and the page talks to no other host.

const TOKEN_KEY = 'grantplane.token';
const view = document.getElementById('view');
const who = document.getElementById('who');
const nav = document.getElementById('nav');

/** Whether a child is shown: null, undefined and false stand for "nothing here". */
const present = (child) => child !== null && child !== undefined && child !== false;

/** An element: `h('td', { class: 'muted' }, 'text', child)`. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat().filter(present)) {
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The JWT's claims, read (not verified: the API verifies every call). */
function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);
const me = () => claimsOf(token() ?? '') ?? {};
const rolesOf = (claims) => [claims.groups, claims.roles, claims['cognito:groups']].flat().filter(Boolean);

class ApiError extends Error {}

/** Calls the API; a problem answer becomes an ApiError carrying its detail and field errors. */
async function api(path, options = {}) {
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${token()}`,
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = text === '' ? null : JSON.parse(text);
  if (response.status === 401) {
    signOut('Your token was refused (expired or not valid here): sign in again.');
    throw new ApiError('signed out');
  }
  if (!response.ok) {
    const detail = body?.detail ?? body?.message ?? `HTTP ${response.status}`;
    const fields = (body?.errors ?? [])
      .filter((e) => e.message !== detail)
      .map((e) => `${e.path || '(request)'}: ${e.message}`);
    throw new ApiError([detail, ...fields].join(' — '));
  }
  return body;
}

const scopeText = (scope) => (scope.type === 'global' ? 'global' : `${scope.project}/${scope.domain}`);

function resourceText(resource) {
  const where = resource.bucket ?? resource.repository ?? resource.secret ?? resource.arn ?? '';
  const prefix = resource.prefix ? `/${resource.prefix}` : '';
  return `${resource.type} ${where}${prefix}${resource.access ? ` (${resource.access})` : ''}`;
}

const list = (value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** One statement in words: which actions on which resources, under which condition. */
function statementText(statement) {
  const actions = list(statement.Action ?? statement.NotAction).join(', ');
  const resources = list(statement.Resource ?? statement.NotResource).join(', ');
  const condition = statement.Condition ? ` when ${JSON.stringify(statement.Condition)}` : '';
  const verb = statement.Effect === 'Deny' ? 'denies' : 'allows';
  return `${verb} ${actions} on ${resources}${condition}`;
}

/** Every access a target's own policies give, one line per action and resource. */
function accessOf(target) {
  const lines = new Set();
  for (const policy of target?.policies ?? [])
    for (const statement of policy.document.Statement)
      for (const action of list(statement.Action ?? statement.NotAction))
        for (const resource of list(statement.Resource ?? statement.NotResource))
          lines.add(
            statementText({
              ...statement,
              Action: action,
              NotAction: undefined,
              Resource: resource,
              NotResource: undefined,
            }),
          );
  return lines;
}

const requestOf = (grant) => ({
  dataPlane: grant.dataPlane,
  scope: grant.scope,
  resource: grant.resource,
  ...(grant.justification === undefined ? {} : { justification: grant.justification }),
  ...(grant.ticket === undefined ? {} : { ticket: grant.ticket }),
});

const targetPath = (dataPlane, scope) =>
  scope.type === 'global'
    ? `/v1/targets/${encodeURIComponent(dataPlane)}/global`
    : `/v1/targets/${[dataPlane, scope.project, scope.domain].map(encodeURIComponent).join('/')}`;

function show(title, ...content) {
  document.title = `${title} — grantplane console`;
  view.replaceChildren(h('h2', {}, title), ...content.filter(present));
  view.focus();
}

function showError(error) {
  if (error instanceof ApiError && error.message === 'signed out') return;
  view.append(h('p', { class: 'error', role: 'alert' }, String(error.message ?? error)));
}

let generation = 0;

/**
 * The screen as one page sees it: a page renders only while it is still the page being shown, so
 * a slow answer for a page the user already left never paints over the one they went to.
 */
function screen() {
  const mine = (generation += 1);
  const current = () => mine === generation;
  return {
    show: (title, ...content) => current() && show(title, ...content),
    error: (error) => current() && showError(error),
  };
}

// Sign-in: the deployment's OIDC issuer (authorization code + PKCE), or a pasted token locally ---

const PKCE_KEY = 'grantplane.pkce';
let signInConfig = { signIn: 'token' };
/** The refresh of a grant page that follows a grant on its way to active or revoked. */
let following;

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomText = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/console/index.html`;

async function discovery() {
  const response = await fetch(`${signInConfig.issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The issuer's discovery document answered ${response.status}`);
  return response.json();
}

/** Step 1: to the issuer's authorization endpoint, with a PKCE challenge and a state to check. */
async function startSignIn() {
  const { authorization_endpoint: endpoint } = await discovery();
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: signInConfig.clientId,
    redirect_uri: redirectUri(),
    scope: signInConfig.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(name, value);
  location.assign(url.href);
}

/** Step 2, back from the issuer with ?code&state: the code and the verifier buy the token. */
async function finishSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null');
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `${location.pathname}${saved?.hash ?? ''}`);
  if (params.get('error'))
    throw new Error(`The issuer refused the sign-in: ${params.get('error_description') ?? params.get('error')}`);
  if (saved === null || saved.state !== params.get('state'))
    throw new Error('The sign-in answer does not match the sign-in this page started: sign in again.');
  const { token_endpoint: endpoint } = await discovery();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: redirectUri(),
      client_id: signInConfig.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.access_token !== 'string')
    throw new Error(
      `The issuer's token endpoint refused the code: ${body.error_description ?? body.error ?? response.status}`,
    );
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
}

// Pages -------------------------------------------------------------------------------------------

function signInPage(message) {
  nav.hidden = true;
  who.textContent = '';
  if (signInConfig.signIn === 'oidc') {
    const issuer = new URL(signInConfig.issuer).host;
    return screen().show(
      'Sign in',
      ...(message ? [h('p', { class: 'error', role: 'alert' }, message)] : []),
      h('p', {}, `The console signs you in with ${issuer}; what you may do is what your token's roles allow.`),
      h(
        'button',
        {
          type: 'button',
          id: 'sign-in-oidc',
          onclick: () => startSignIn().catch((error) => signInPage(error.message)),
        },
        `Sign in with ${issuer}`,
      ),
    );
  }
  const field = h('textarea', { id: 'token', name: 'token', rows: 4, required: true, autocomplete: 'off' });
  const form = h(
    'form',
    {
      id: 'sign-in',
      onsubmit: (event) => {
        event.preventDefault();
        const value = field.value.trim();
        if (claimsOf(value) === null) {
          form.append(h('p', { class: 'error', role: 'alert' }, 'That is not a JWT (three dot-separated parts).'));
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, value);
        location.hash = '#/pending';
        route();
      },
    },
    h('label', { for: 'token' }, 'Bearer token'),
    field,
    h(
      'p',
      { class: 'muted' },
      'Locally: the token `npm start` prints, or `npx grantplane token --sub bob --roles approver`. For a deployed API: an access token of its issuer (`npx grantplane token --client-credentials` for a machine client).',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  screen().show('Sign in', ...(message ? [h('p', { class: 'error', role: 'alert' }, message)] : []), form);
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  signInPage(message);
}

async function pendingPage() {
  const on = screen();
  on.show('Waiting for approval', h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { items } = await api('/v1/grants?status=pending-approval&limit=100');
    const rows = items.map((grant) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: `#/grants/${grant.id}` }, grant.id)),
        h('td', {}, grant.requester, grant.requester === me().sub ? h('span', { class: 'muted' }, ' (you)') : null),
        h('td', {}, `${grant.dataPlane} ${scopeText(grant.scope)}`),
        h('td', {}, resourceText(grant.resource)),
        h('td', {}, grant.justification ?? ''),
        h(
          'td',
          {},
          grant.ticket ? `${grant.ticket.system ?? ''} ${grant.ticket.id ?? grant.ticket.key ?? ''}`.trim() : '',
        ),
        h('td', {}, grant.expiresAt ?? 'never'),
      ),
    );
    on.show(
      'Waiting for approval',
      items.length === 0
        ? h('p', { id: 'none-pending' }, 'Nothing waits for approval.')
        : h(
            'table',
            { id: 'pending' },
            h('caption', { class: 'muted' }, `${items.length} request${items.length === 1 ? '' : 's'}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Grant', 'Requester', 'Where', 'Resource', 'Justification', 'Ticket', 'Expires'].map((c) =>
                  h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h('tbody', {}, rows),
          ),
    );
  } catch (error) {
    on.error(error);
  }
}

/** What approving `grant` would change: its target's access before and after, from POST /v1/plan. */
async function effectOf(grant) {
  const planned = await api('/v1/plan', { method: 'POST', body: { grants: [requestOf(grant)] } });
  const rejected = planned.rejected.find((entry) => entry.index === 0);
  if (rejected)
    return h(
      'div',
      { id: 'effect' },
      h('p', { class: 'error' }, 'Approving it would be refused now:'),
      h(
        'ul',
        {},
        rejected.errors.map((e) => h('li', {}, `${e.path}: ${e.code} — ${e.message}`)),
      ),
    );
  const target = planned.targets.find(
    (t) => t.dataPlane === grant.dataPlane && scopeText(t.scope) === scopeText(grant.scope),
  );
  const change = planned.changes.find((c) => c.targetKey === grant.targetKey);
  let before = null;
  if (change && change.change !== 'create') {
    try {
      before = (await api(targetPath(grant.dataPlane, grant.scope))).desired ?? null;
    } catch {
      before = null;
    }
  }
  const after = accessOf(target);
  const had = accessOf(before);
  const added = [...after].filter((line) => !had.has(line));
  const chars = (target?.policies ?? []).reduce(
    (sum, p) => sum + JSON.stringify(p.document).replace(/\s/g, '').length,
    0,
  );
  return h(
    'div',
    { id: 'effect' },
    h(
      'p',
      {},
      change?.change === 'create'
        ? `A new target: role ${target?.role.name ?? '?'} is created for it.`
        : `Target role ${target?.role.name ?? '?'}: ${change?.change ?? 'unchanged'}.`,
    ),
    added.length > 0
      ? h(
          'p',
          { class: 'broader' },
          `Broader: ${added.length} access${added.length === 1 ? '' : 'es'} added${grant.scope.type === 'global' ? ' for every project and domain of the plane' : ''}.`,
        )
      : h('p', {}, 'Nothing new: the target already has this access.'),
    h(
      'ul',
      { id: 'effect-access' },
      added.map((line) => h('li', {}, line)),
    ),
    h(
      'p',
      { class: 'muted', id: 'quota' },
      `Quota: ${target?.policies.length ?? 0} ${(target?.policies.length ?? 0) === 1 ? 'policy' : 'policies'} of the role's own, ${chars.toLocaleString('en')} of ${(6144 * Math.max(1, target?.policies.length ?? 1)).toLocaleString('en')} policy characters.`,
    ),
  );
}

async function grantPage(id) {
  const on = screen();
  on.show(`Grant ${id}`, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const roles = rolesOf(me());
    const approver = roles.includes('approver') || roles.includes('admin');
    // The audit trail is for approvers and admins; a requester sees the grant's own history.
    const [grant, audit] = await Promise.all([
      api(`/v1/grants/${encodeURIComponent(id)}`),
      approver ? api(`/v1/audit?grantId=${encodeURIComponent(id)}&limit=100`) : Promise.resolve(null),
    ]);
    const details = h(
      'dl',
      { id: 'grant' },
      h('dt', {}, 'Status'),
      h('dd', { id: 'status' }, grant.status),
      h('dt', {}, 'Requester'),
      h('dd', {}, grant.requester),
      h('dt', {}, 'Where'),
      h('dd', {}, `${grant.dataPlane} ${scopeText(grant.scope)}`),
      h('dt', {}, 'Resource'),
      h('dd', {}, resourceText(grant.resource)),
      h('dt', {}, 'Justification'),
      h('dd', {}, grant.justification ?? ''),
      h('dt', {}, 'Ticket'),
      h('dd', {}, grant.ticket ? JSON.stringify(grant.ticket) : 'none'),
      h('dt', {}, 'Expires'),
      h('dd', {}, grant.expiresAt ?? 'never'),
      ...(grant.approvedBy ? [h('dt', {}, 'Approved by'), h('dd', {}, grant.approvedBy)] : []),
      ...(grant.notes?.length
        ? [
            h('dt', {}, 'Notes'),
            h(
              'dd',
              {},
              h(
                'ul',
                {},
                grant.notes.map((n) => h('li', {}, `${n.code}: ${n.message}`)),
              ),
            ),
          ]
        : []),
    );
    const timeline = h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      audit === null
        ? (grant.history ?? []).map((step) =>
            h('li', {}, `${step.at} ${step.actor}: ${step.status}${step.comment ? ` (${step.comment})` : ''}`),
          )
        : [...audit.items]
            .reverse()
            .map((event) =>
              h(
                'li',
                {},
                `${event.at} ${event.actor}: ${event.action}${event.after?.status ? ` → ${event.after.status}` : ''}${event.detail ? ` (${typeof event.detail === 'string' ? event.detail : JSON.stringify(event.detail)})` : ''}`,
              ),
            ),
    );
    const sections = [details];
    if (grant.status === 'pending-approval') {
      sections.push(h('h3', {}, 'Effect if approved'));
      sections.push(await effectOf(grant).catch((error) => h('p', { class: 'error' }, error.message)));
      if (approver) sections.push(decisionForm(grant));
    }
    sections.push(h('h3', {}, 'Timeline'), timeline);
    // On its way (approved, revoking): the page follows it until the applier is done.
    const moving = ['approved', 'revoking'].includes(grant.status);
    if (moving)
      sections.push(
        h('p', { class: 'muted', id: 'following' }, 'The applier is at work: this page refreshes until it is done.'),
      );
    on.show(`Grant ${id}`, ...sections);
    clearTimeout(following);
    if (moving)
      following = setTimeout(() => location.hash === `#/grants/${encodeURIComponent(id)}` && grantPage(id), 2000);
  } catch (error) {
    on.error(error);
  }
}

function decisionForm(grant) {
  const own = grant.requester === me().sub;
  const comment = h('textarea', { id: 'comment', name: 'comment', rows: 2 });
  const outcome = h('p', { id: 'outcome', role: 'status' });
  const decide = (verb) => async () => {
    outcome.textContent = `${verb === 'approve' ? 'Approving' : 'Rejecting'}…`;
    try {
      const body = comment.value.trim() === '' ? {} : { comment: comment.value.trim() };
      const after = await api(`/v1/grants/${encodeURIComponent(grant.id)}/${verb}`, { method: 'POST', body });
      outcome.className = 'ok';
      outcome.textContent = `${verb === 'approve' ? 'Approved' : 'Rejected'}: the grant is ${after.status}.`;
      await grantPage(grant.id);
    } catch (error) {
      outcome.className = 'error';
      outcome.textContent = error.message;
    }
  };
  return h(
    'form',
    { id: 'decision', onsubmit: (event) => event.preventDefault() },
    h('h3', {}, 'Decision'),
    own ? h('p', { class: 'muted' }, 'This is your own request: another approver decides on it.') : null,
    h('label', { for: 'comment' }, 'Comment (kept in the audit trail)'),
    comment,
    h('button', { type: 'button', id: 'approve', disabled: own, onclick: decide('approve') }, 'Approve'),
    h('button', { type: 'button', id: 'reject', disabled: own, onclick: decide('reject') }, 'Reject'),
    outcome,
  );
}

async function targetsPage() {
  const on = screen();
  on.show('Targets', h('p', { class: 'muted' }, 'Loading…'));
  try {
    const items = [];
    let next;
    do {
      const page = await api(`/v1/targets?limit=100${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
      items.push(...page.items);
      next = page.nextCursor;
    } while (next && items.length < 1000);
    // Repository policies in other accounts (cross-account ECR pulls): applied by their owners.
    const infrastructure = (await api('/v1/infrastructure-updates?limit=100')).items;
    const planes = [...new Set([...items, ...infrastructure].map((t) => t.dataPlane))].sort();
    const infraOf = (plane) => infrastructure.filter((u) => u.dataPlane === plane);
    on.show(
      'Targets',
      items.length === 0 ? h('p', {}, 'No target yet: a grant becomes one when it is approved.') : null,
      ...planes.flatMap((plane) => [
        h('h3', {}, `Plane ${plane}`),
        h(
          'table',
          { class: 'targets' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Target', 'State', 'Role', 'Policies', 'uctl update'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            items
              .filter((t) => t.dataPlane === plane)
              .map((t) =>
                h(
                  'tr',
                  {},
                  h('td', {}, scopeText(t.scope)),
                  h('td', {}, t.state),
                  h('td', {}, t.desired?.role?.name ?? '(none: being removed)'),
                  h('td', {}, (t.desired?.policies ?? []).map((p) => p.name).join(', ')),
                  h('td', {}, t.uctlUpdate ? `${t.uctlUpdate.status}: ${t.uctlUpdate.command}` : '—'),
                ),
              ),
          ),
        ),
        infraOf(plane).length === 0
          ? null
          : h(
              'table',
              { class: 'infrastructure' },
              h('caption', { class: 'muted' }, 'Infrastructure updates: repository policies their accounts apply'),
              h(
                'thead',
                {},
                h('tr', {}, ...['Repository', 'Account', 'Change', 'Status'].map((c) => h('th', { scope: 'col' }, c))),
              ),
              h(
                'tbody',
                {},
                infraOf(plane).map((u) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, u.repositoryArn),
                    h('td', {}, u.accountId),
                    h('td', {}, u.policy === null ? 'remove grantplane’s statement' : 'set the repository policy'),
                    h('td', {}, u.status),
                  ),
                ),
              ),
            ),
      ]),
    );
  } catch (error) {
    on.error(error);
  }
}

async function driftPage() {
  const on = screen();
  on.show('Drift', h('p', { class: 'muted' }, 'Loading…'));
  try {
    const report = await api('/v1/drift-checks/latest').catch((error) => {
      if (/No drift check has run yet/.test(error.message)) return null;
      throw error;
    });
    if (report === null)
      return on.show(
        'Drift',
        h('p', {}, 'No drift check has run yet (the schedule runs one; POST /v1/drift-checks starts one).'),
      );
    const targets = report.targets ?? report.report?.targets ?? [];
    const off = targets.filter((t) => t.status !== 'in-sync');
    on.show(
      'Drift',
      h(
        'p',
        {},
        `Checked ${report.checkedAt ?? report.report?.checkedAt ?? ''}: ${off.length === 0 ? 'everything in sync' : `${off.length} target(s) differ`} (${targets.length} checked).`,
      ),
      h(
        'ul',
        {},
        off.map((t) =>
          h(
            'li',
            {},
            `${t.dataPlane} ${scopeText(t.scope)}: ${t.status}`,
            h(
              'ul',
              {},
              (t.differences ?? []).map((d) => h('li', {}, d)),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    on.error(error);
  }
}

async function heldPage() {
  const on = screen();
  on.show('Held removals', h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { items } = await api('/v1/held-changes');
    const admin = rolesOf(me()).includes('admin');
    on.show(
      'Held removals',
      h(
        'p',
        { class: 'muted' },
        'A change that would take access from more than half of a plane waits here until an admin releases it.',
      ),
      items.length === 0
        ? h('p', {}, 'Nothing is held.')
        : h(
            'div',
            { id: 'held' },
            items.map((held) =>
              h(
                'section',
                { class: 'held' },
                h('h3', {}, `Plane ${held.dataPlane}`),
                h(
                  'p',
                  {},
                  `Held since ${held.heldAt}: the change would take access from ${held.targets.length} of the ${held.targetsWithAccess} targets that have access.`,
                ),
                h(
                  'ul',
                  {},
                  held.targets.map((target) =>
                    h(
                      'li',
                      {},
                      `${scopeText(target.scope)} loses ${target.removedCount} access${target.removedCount === 1 ? '' : 'es'}`,
                      target.removed.length > 0 ? `: ${target.removed.join('; ')}` : '',
                    ),
                  ),
                ),
                admin
                  ? h(
                      'button',
                      {
                        type: 'button',
                        id: `release-${held.dataPlane}`,
                        onclick: async () => {
                          await api(`/v1/held-changes/${encodeURIComponent(held.dataPlane)}/release`, {
                            method: 'POST',
                            body: {},
                          }).catch(on.error);
                          await heldPage();
                        },
                      },
                      `Release the change on ${held.dataPlane}`,
                    )
                  : h('p', { class: 'muted' }, 'An admin releases it.'),
              ),
            ),
          ),
    );
  } catch (error) {
    on.error(error);
  }
}

// Routing -----------------------------------------------------------------------------------------

function route() {
  if (!token()) return signInPage();
  const claims = me();
  nav.hidden = false;
  who.replaceChildren(
    `Signed in as ${claims.sub ?? '?'} (${rolesOf(claims).join(', ') || 'no role'}) `,
    h('button', { type: 'button', id: 'sign-out', onclick: () => signOut() }, 'Sign out'),
  );
  const hash = location.hash || '#/pending';
  for (const link of nav.querySelectorAll('a'))
    link.toggleAttribute('aria-current', hash.startsWith(link.getAttribute('href')));
  for (const link of nav.querySelectorAll('a[aria-current]')) link.setAttribute('aria-current', 'page');
  const grant = /^#\/grants\/([^/]+)$/.exec(hash);
  if (grant) return grantPage(decodeURIComponent(grant[1]));
  if (hash === '#/targets') return targetsPage();
  if (hash === '#/drift') return driftPage();
  if (hash === '#/held') return heldPage();
  return pendingPage();
}

async function start() {
  try {
    signInConfig = await fetch('/console/config.json').then((response) => response.json());
  } catch {
    signInConfig = { signIn: 'token' };
  }
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) {
    try {
      await finishSignIn(params);
    } catch (error) {
      return signInPage(error.message);
    }
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
