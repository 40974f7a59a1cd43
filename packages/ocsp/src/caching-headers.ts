/**
 * HTTP caching headers for OCSP responses and CRLs (RFC 5019 §6.2): a
 * response is fresh until its nextUpdate, so caches and CDNs may serve it
 * until then but must not alter it or serve it stale.
 */

/** Headers of a cacheable response valid from `thisUpdate` until `nextUpdate`, as of `now`. */
export function cachingHeaders(options: { now: Date; thisUpdate: Date; nextUpdate: Date; etag: string }): Record<string, string> {
  const maxAge = Math.max(0, Math.floor((options.nextUpdate.getTime() - options.now.getTime()) / 1000));
  return {
    'last-modified': options.thisUpdate.toUTCString(),
    expires: options.nextUpdate.toUTCString(),
    etag: options.etag,
    'cache-control': `max-age=${maxAge}, public, no-transform, must-revalidate`,
    date: options.now.toUTCString(),
  };
}
