export { ERROR_CODES, type ErrorCode, isErrorCode, RECOVERABLE } from './codes.js';
export { StatewireError } from './StatewireError.js';
export { UnauthorizedError } from './UnauthorizedError.js';
