import type { DataPlaneConfig, GrantplaneConfig } from '../config.js';
import type { RuleViolation } from '../model.js';
import { violation } from './codes.js';

// docs/configuration.md: a request names its `dataPlane` unless exactly one is configured.

/** Finds the plane a request is for, or says why it cannot. */
export function resolvePlane(
  config: GrantplaneConfig,
  dataPlane: string | undefined,
): { plane: DataPlaneConfig } | { errors: RuleViolation[] } {
  const names = config.dataPlanes.map((plane) => plane.name);
  if (dataPlane === undefined) {
    const only = config.dataPlanes.length === 1 ? config.dataPlanes[0] : undefined;
    if (only !== undefined) return { plane: only };
    return {
      errors: [
        violation(
          'dataPlane',
          'plane.required',
          `Several data planes are configured: name one in dataPlane (${names.join(', ')}).`,
        ),
      ],
    };
  }
  const plane = config.dataPlanes.find((candidate) => candidate.name === dataPlane);
  if (plane !== undefined) return { plane };
  return {
    errors: [
      violation('dataPlane', 'plane.unknown', `No data plane is named "${dataPlane}": use one of ${names.join(', ')}.`),
    ],
  };
}
