/** Longest delay a JS timer can hold (2^31 - 1 ms, about 24.8 days); longer waits go in steps. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;
