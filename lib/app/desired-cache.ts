// A warm container's memory of what its submits read (docs/data-model.md): a request's units'
// desired grants and its pair's attributes, keyed by the request's plane and unit. A submit that
// plans from it writes with a ConditionCheck on each unit's version, so it stands only if nothing
// it planned from moved since (every change of a unit's desired grants or of its pair's attributes
// bumps the unit's version); otherwise the entry is dropped and the submit reads afresh.
import type { AttributeRecord, DesiredMember, UnitState } from '../domain/records.js';

/** One read of a request's units (PlaneStore.getDesiredGrants). */
export interface DesiredRead {
  units: UnitState[];
  grants: DesiredMember[];
  attributes: AttributeRecord[];
}

/**
 * Entries kept: a container serves a few pairs at a time, not the whole plane. Each entry holds its
 * pair's and the global unit's desired grants (each unit's copies stay within 64 KB), so this also
 * bounds the memory the cache can take.
 */
const MAX_ENTRIES = 256;

export class DesiredCache {
  private readonly entries = new Map<string, DesiredRead & { dataPlane: string; unit: string }>();

  private static key(dataPlane: string, unit: string, pair: { project: string; domain: string } | null): string {
    return JSON.stringify([dataPlane, unit, pair?.project ?? null, pair?.domain ?? null]);
  }

  get(dataPlane: string, unit: string, pair: { project: string; domain: string } | null): DesiredRead | undefined {
    return this.entries.get(DesiredCache.key(dataPlane, unit, pair));
  }

  put(dataPlane: string, unit: string, pair: { project: string; domain: string } | null, read: DesiredRead): void {
    const key = DesiredCache.key(dataPlane, unit, pair);
    this.entries.delete(key);
    this.entries.set(key, { ...read, dataPlane, unit });
    // The oldest entry goes first (a Map keeps insertion order).
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value ?? key);
  }

  forget(dataPlane: string, unit: string, pair: { project: string; domain: string } | null): void {
    this.entries.delete(DesiredCache.key(dataPlane, unit, pair));
  }

  /**
   * Drops what this container knows changed: every entry of the unit, and for the plane's global
   * unit every entry of the plane (each pair's entry holds the global grants too).
   */
  forgetUnit(dataPlane: string, unit: string, globalUnit: string): void {
    for (const [key, entry] of this.entries)
      if (entry.dataPlane === dataPlane && (unit === globalUnit || entry.unit === unit)) this.entries.delete(key);
  }
}
