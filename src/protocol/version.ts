/** Wire protocol version spoken by this build; sent in `hello` and `welcome`. */
export const PROTOCOL_VERSION = 1;
