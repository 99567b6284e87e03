export { createLink, type Link, type LinkOptions } from './createLink.js';
export type { LinkEvents, LinkHandler } from './peer.js';
