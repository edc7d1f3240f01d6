// IAM's error contract as the query protocol carries it: a code, a Sender/Receiver type and the
// HTTP status the SDK's error schema expects (client-iam schemas: awsQueryError + httpError).

const STATUS: Record<string, number> = {
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  DeleteConflict: 409,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  InvalidInput: 400,
  ValidationError: 400,
  InvalidAction: 400,
  MissingAction: 400,
  Throttling: 400,
  ServiceFailure: 500,
};

/** An IAM error the emulator answers with (`<ErrorResponse><Error><Code>…`). */
export class IamEmulatorError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';

  constructor(code: string, message: string) {
    super(message);
    this.name = 'IamEmulatorError';
    this.code = code;
    this.status = STATUS[code] ?? 400;
    this.type = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

export const noSuchEntity = (message: string): IamEmulatorError => new IamEmulatorError('NoSuchEntity', message);
export const alreadyExists = (message: string): IamEmulatorError =>
  new IamEmulatorError('EntityAlreadyExists', message);
export const deleteConflict = (message: string): IamEmulatorError => new IamEmulatorError('DeleteConflict', message);
export const limitExceeded = (message: string): IamEmulatorError => new IamEmulatorError('LimitExceeded', message);
export const malformed = (message: string): IamEmulatorError =>
  new IamEmulatorError('MalformedPolicyDocument', message);
export const invalidInput = (message: string): IamEmulatorError => new IamEmulatorError('InvalidInput', message);

/** IAM's constraint failures (AWS JSON-style "1 validation error detected" wording). */
export const validationError = (member: string, value: string | null, constraint: string): IamEmulatorError =>
  new IamEmulatorError(
    'ValidationError',
    `1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
