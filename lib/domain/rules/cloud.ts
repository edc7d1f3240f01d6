import type { DataPlaneConfig } from '../config.js';
import type { RuleViolation, Scope } from '../model.js';
import { violation } from './codes.js';

// R2 clouds (seed 003, "Enabling GCP/Azure resources"): GCP and Azure planes only support scoping
// by domain, and "domain-scoped access can only be configured by the Union.ai team". Global access
// on those clouds is a binding of the plane's identity on the resource (lib/domain/cloud/).

/** R2: a project-domain grant on a GCP or Azure plane is refused with the documents' explanation. */
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
  return [];
}
