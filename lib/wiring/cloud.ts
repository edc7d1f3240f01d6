// GCP and Azure clients per plane for the applier and the drift check (docs/gcp-azure.md
// "Credentials"). The clients themselves are in cloud-clients.ts, loaded on first use through a
// specifier esbuild leaves alone: in a deployment it is GRANTPLANE_CLOUD_CLIENTS, the side bundle
// the stack ships next to index.mjs (`./cloud-clients.mjs`); from the sources, the module itself.
import type { CloudGateway, CloudSource } from '../app/cloud-apply.js';
import type { OtherDataPlaneConfig } from '../domain/config.js';

type CloudClients = typeof import('./cloud-clients.js');

async function liveGateway(plane: OtherDataPlaneConfig): Promise<CloudGateway> {
  const specifier = process.env.GRANTPLANE_CLOUD_CLIENTS ?? './cloud-clients.js';
  const clients = (await import(specifier)) as CloudClients;
  return clients.liveGateway(plane);
}

/** One gateway per plane, made on first use and kept; a failed construction is tried again next time. */
export function cachedCloudSource(make: (plane: OtherDataPlaneConfig) => Promise<CloudGateway>): CloudSource {
  const made = new Map<string, Promise<CloudGateway>>();
  return (plane) => {
    let gateway = made.get(plane.name);
    if (gateway === undefined) {
      gateway = make(plane);
      gateway.catch(() => made.delete(plane.name));
      made.set(plane.name, gateway);
    }
    return gateway;
  };
}

let override: CloudSource | undefined;

/**
 * Sets the clients liveCloudSource gives from now on: the local stack (`npm start`) passes its
 * stand-ins', so the handlers it runs in-process (POST /v1/drift-checks) reach them too.
 */
export function useLiveCloudSource(source: CloudSource): void {
  override = source;
}

/** The deployed applier's and drift check's GCP and Azure clients. */
export const liveCloudSource = (): CloudSource => override ?? cachedCloudSource(liveGateway);
