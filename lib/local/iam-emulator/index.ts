// Public surface of the IAM emulator (DESIGN §6 "IAM modes", §9).
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
