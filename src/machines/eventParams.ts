import type { ErrorCode } from '../errors/codes.js';

/**
 * The machines' one idiom for reading events: actions and guards never look at `event`; the
 * transition hands them what they need as typed `params`, so a wrong event is a type error.
 * (Every action of such a machine declares its first parameter, `(_) => …`: one written `() =>`
 * breaks the inference of the others' params, xstate#5014.)
 */
export interface ErrorParams {
  code: ErrorCode;
  message: string;
}

/** `params` of a transition on an event that carries an error (REJECTED, FAIL, SERVER.ERROR…). */
export const errorParams = ({ event }: { event: ErrorParams }): ErrorParams => ({
  code: event.code,
  message: event.message,
});
