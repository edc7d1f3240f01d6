import { DNS_LABEL, servesProject, type DataPlaneConfig } from '../config.js';
import type { RuleViolation, Scope } from '../model.js';
import { violation } from './codes.js';

// R1 names (seed 000): code of project P in domain D runs in namespace `P-D`, a Kubernetes
// namespace name (a DNS label of at most 63 characters). The domain must be one of the plane's,
// and the project served by it (multi-cluster: project isolation per account, seed 003).

export const MAX_NAMESPACE_LENGTH = 63;

/** R1: checks a project-domain scope against the plane; a global scope has nothing to check. */
export function checkScopeNames(plane: DataPlaneConfig, scope: Scope): RuleViolation[] {
  if (scope.type === 'global') return [];
  const errors: RuleViolation[] = [];
  const { project, domain } = scope;
  if (!DNS_LABEL.test(project)) {
    errors.push(
      violation(
        'scope.project',
        'scope.invalid-project',
        `Project "${project}" is not a valid namespace part: use lowercase letters, digits and "-", starting and ending with a letter or digit.`,
      ),
    );
  } else if (project.length + 1 + domain.length > MAX_NAMESPACE_LENGTH) {
    errors.push(
      violation(
        'scope.project',
        'scope.namespace-too-long',
        `Namespace "${project}-${domain}" has ${project.length + 1 + domain.length} characters; Kubernetes allows ${MAX_NAMESPACE_LENGTH}: use a shorter project name.`,
      ),
    );
  } else if (!servesProject(plane, project)) {
    errors.push(
      violation(
        'scope.project',
        'scope.project-not-served',
        `Data plane "${plane.name}" does not serve project "${project}": name the plane that does in dataPlane.`,
      ),
    );
  }
  if (!plane.domains.includes(domain)) {
    errors.push(
      violation(
        'scope.domain',
        'scope.unknown-domain',
        `Domain "${domain}" is not one of plane "${plane.name}"'s domains: use one of ${plane.domains.join(', ')}.`,
      ),
    );
  }
  return errors;
}
