import type { DataPlaneConfig } from '../config.js';
import type { RuleViolation, Scope } from '../model.js';
import { violation } from './codes.js';

// R2 clouds (seed 003, "Enabling GCP/Azure resources"): GCP and Azure planes only support scoping
// by domain, and "domain-scoped access can only be configured by the Union.ai team". Global access
// on those clouds is granted to the plane's service identity outside IAM: not grantplane's job yet.

/** R2: grants on non-AWS planes are validated and refused with an explanation. */
export function checkCloud(plane: DataPlaneConfig, scope: Scope): RuleViolation[] {
  if (plane.cloud === 'aws') return [];
  const cloud = plane.cloud === 'gcp' ? 'GCP' : 'Azure';
  if (scope.type === 'project-domain') {
    return [
      violation(
        'scope',
        'cloud.domain-scoping-union-only',
        `${cloud} data planes support only domain-scoped access, and it can only be configured by the Union.ai team: contact them, or ask for global access instead.`,
      ),
    ];
  }
  return [
    violation(
      'dataPlane',
      'cloud.global-unsupported',
      `Global grants on ${cloud} plane "${plane.name}" are not supported by grantplane yet: grant the plane's user service identity access in ${cloud} directly (see "Enabling ${cloud} resources").`,
    ),
  ];
}
