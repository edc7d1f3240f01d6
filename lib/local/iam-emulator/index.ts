// Public surface of the IAM emulator (docs/applier.md "IAM modes", docs/api.md).
export { startIamEmulator } from './server.js';
export type {
  IamCall,
  IamEmulator,
  IamEmulatorOptions,
  IamFaults,
  SeedDataPlaneInput,
  SeededDataPlane,
} from './server.js';
export { DEFAULT_QUOTAS, IamAccount, type IamQuotas } from './state.js';
export { IamEmulatorError } from './errors.js';
