// Errors of the world's API with stable codes (the control API maps them to HTTP statuses, the
// CLI to exit codes).

export type WorldErrorCode = 'UnknownZone' | 'InvalidArgument' | 'NotFound' | 'Conflict' | 'NotRunning';

export class WorldError extends Error {
  readonly code: WorldErrorCode;

  constructor(code: WorldErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorldError';
    this.code = code;
  }
}
