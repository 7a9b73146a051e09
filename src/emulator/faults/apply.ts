import type { FaultInjector } from '../faults.js';
import type { ApiFamily, Reply, RequestContext } from '../http.js';
import {
  foreignLink,
  isListingPage,
  malformedBody,
  retryAfterHeader,
  type Delivery,
} from './responses.js';

/** Turns a handled reply into what goes on the wire, with the response faults that apply to it. */
export function planDelivery(
  faults: FaultInjector,
  ctx: RequestContext,
  family: ApiFamily,
  reply: Reply,
): Delivery {
  let headers: Record<string, string> = { ...reply.headers };
  const delivery = (body: string): Delivery => ({ status: reply.status, headers, body });
  if (reply.body === undefined) return delivery('');
  if (typeof reply.body === 'string') return delivery(reply.body);
  headers['Content-Type'] ??= 'application/json; charset=utf-8';
  const path = ctx.url.pathname;
  if (family !== 'graph' && family !== 'defender') return delivery(JSON.stringify(reply.body));
  const f = faults.applies(path) ? faults.current : {};
  if (reply.status === 429 && f.retryAfterFormat)
    headers = retryAfterHeader(headers, f.retryAfterFormat, Date.now());
  let body = reply.body;
  if (reply.status === 200 && isListingPage(body)) {
    let page = body;
    const next = page['@odata.nextLink'];
    if (f.foreignNextLink && typeof next === 'string')
      page = { ...page, '@odata.nextLink': foreignLink(next, f.foreignNextLink) };
    if (f.wrongCountBy !== undefined) {
      const count = page['@odata.count'];
      page = {
        ...page,
        '@odata.count': (typeof count === 'number' ? count : page.value.length) + f.wrongCountBy,
      };
    }
    if (f.malformed && faults.malformedPage(path)) {
      const broken = malformedBody(f.malformed.kind, page);
      if (broken.contentType) headers['Content-Type'] = broken.contentType;
      return { ...delivery(broken.body), cutAfterBytes: broken.cutAfterBytes };
    }
    body = page;
  }
  return {
    ...delivery(JSON.stringify(body)),
    ...(f.trickle ? { trickle: f.trickle } : {}),
    ...(f.stallAfterBytes !== undefined ? { stallAfterBytes: f.stallAfterBytes } : {}),
  };
}
