/** The JWS verifier's key cache is core's {@link LruCache}, re-exported where it always was. */
export { LruCache } from '@certwright/core';
