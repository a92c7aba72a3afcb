/**
 * `mounts export gateway`: Kubernetes Gateway API (v1) `HTTPRoute`s, one per Host group.
 *
 * `PathPrefix` matches whole path elements, as Mounts' prefixes do; a stripped prefix is a
 * `URLRewrite` with `ReplacePrefixMatch`; the exact prefix of a static mount redirects to its
 * folder URL. Backends are `Service`s named per mount, placeholders the user maps: a cluster has
 * no file server or app server of its own.
 */
import { commonWarnings, hashComments, headerLines } from './header';
import type { MountSpec } from '../spec';
import { byHostAndPrefix, exportOf, type ExportPlan, type ProxyRoute, type Route, type Site } from './plan';
import { quoted } from './text';

/** The Gateway every route attaches to; a placeholder like the Services. */
export const GATEWAY_NAME = 'mounts-gateway';
export const APP_SERVER_SERVICE = 'mounts-app-server';
const IP_ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[.*\])$/;
/** The Gateway API's `Hostname`: RFC 1123 names, so no underscore (which Mounts' host names allow). */
const GATEWAY_HOSTNAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

function isGatewayHostname(name: string): boolean {
  return name.length <= 253 && GATEWAY_HOSTNAME.test(name);
}

export function writeGateway(plan: ExportPlan): { text: string; warnings: string[] } {
  const warnings = commonWarnings(plan);
  warnings.push(
    `Backends are placeholder Services (one per mount, ${APP_SERVER_SERVICE} for the app server) in the route's namespace: create them or change backendRefs.`,
    'X-Forwarded-For, -Host and -Proto are whatever the Gateway implementation sets; Mounts always sets all three.',
    "Proxy mounts: the upstream receives the client's Host (Mounts sends the target's), and Location and Set-Cookie paths are not mapped back.",
  );
  const statics = plan.config.mounts.filter((mount) => exportOf(mount).serve === 'folder');
  if (statics.length) {
    warnings.push(
      'Static mounts need a file server behind their Service; the SPA fallback, listings and denied dotfiles are that server\'s job (Mounts does them itself).',
    );
  }
  const timed = plan.config.mounts
    .filter((mount) => {
      const route = exportOf(mount);
      return route.serve === 'upstream' && route.timeout !== 60;
    })
    .sort(byHostAndPrefix);
  for (const mount of timed) warnings.push(`${mount.prefix} (${quoted(mount.name)}): the upstream timeout is not exported (set the route's timeouts if your Gateway supports them).`);
  for (const name of plan.config.allowedHosts.filter((name) => !IP_ADDRESS.test(name) && !isGatewayHostname(name))) {
    warnings.push(`allowedHosts name ${quoted(name)} is not a Gateway API hostname (letters, digits, "-" and "."): the host-less routes do not list it.`);
  }
  const sites = plan.sites.filter((site) => {
    // An HTTPRoute needs a rule; without one, the Gateway's 404 is Mounts' answer anyway.
    if (site.routes.length === 0) return false;
    if (site.host === undefined || isGatewayHostname(site.host)) return true;
    warnings.push(`Host ${quoted(site.host)} is not a Gateway API hostname (letters, digits, "-" and "."): its mounts are not exported.`);
    return false;
  });
  const services = serviceNames(plan);
  const documents = sites.map((site) => httpRoute(plan, site, warnings, services));
  // Loaded here, not at the top, as are ws and @hono/node-server where they are first needed: with
  // the three loaded up front, an engine process took a median 229 ms from fork to ready instead of
  // 193 ms (12 interleaved runs each on the CI machine), for an export it never runs.
  const { stringify } = require('yaml') as typeof import('yaml');
  const body = documents.map((document) => `---\n${stringify(document, { lineWidth: 0 })}`).join('');
  return { text: `${hashComments(headerLines('gateway', plan, warnings))}\n${body}`, warnings };
}

/**
 * One Service name per mount, from its name, made unique (`-2`, `-3`) in host-and-prefix order: a
 * host-less mount keeps its name in every HTTPRoute it appears in.
 */
function serviceNames(plan: ExportPlan): ReadonlyMap<MountSpec, string> {
  const names = new Map<MountSpec, string>();
  const taken = new Set<string>();
  for (const mount of [...plan.config.mounts].sort(byHostAndPrefix)) {
    if (exportOf(mount).serve === 'appServer') continue;
    const base = serviceName(mount.name, mount.kind);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 60)}-${n}`;
    taken.add(name);
    names.set(mount, name);
  }
  return names;
}

function httpRoute(plan: ExportPlan, site: Site, warnings: string[], services: ReadonlyMap<MountSpec, string>): object {
  const hostnames = site.host !== undefined ? [site.host] : plan.config.allowedHosts.filter((name) => !IP_ADDRESS.test(name) && isGatewayHostname(name));
  if (site.host === undefined && hostnames.length === 0) {
    warnings.push('The host-less routes have no hostnames (mounts.json has no allowedHosts names), so they answer every Host the Gateway accepts.');
  }
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: site.host === undefined ? 'mounts' : `mounts-${dnsLabel(site.host)}`.slice(0, 253).replace(/-+$/, '') },
    spec: {
      parentRefs: [{ name: GATEWAY_NAME }],
      ...(hostnames.length ? { hostnames } : {}),
      rules: site.routes.flatMap((route) => rules(route, services)),
    },
  };
}

function rules(route: Route, services: ReadonlyMap<MountSpec, string>): object[] {
  const { prefix, mount } = route;
  const match = { path: { type: 'PathPrefix', value: prefix } };
  if (route.serve === 'folder') {
    const backendRefs = [{ name: services.get(mount)!, port: 80 }];
    const served = { matches: [match], ...stripTo('/', prefix), backendRefs };
    if (prefix === '/') return [served];
    // Mounts redirects the bare prefix to the folder URL.
    const redirect = {
      matches: [{ path: { type: 'Exact', value: prefix } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: `${prefix}/` }, statusCode: 301 } }],
    };
    return [redirect, served];
  }
  return [proxyRule(route, match, services)];
}

function proxyRule(route: ProxyRoute, match: object, services: ReadonlyMap<MountSpec, string>): object {
  const { prefix, upstream } = route;
  const port = Number(upstream.hostPort.slice(upstream.hostPort.lastIndexOf(':') + 1));
  const name = route.appServer ? APP_SERVER_SERVICE : services.get(route.mount)!;
  const rewrite = route.appServer ? '' : route.strip ? upstream.basePath || '/' : upstream.basePath ? `${upstream.basePath}${prefix === '/' ? '' : prefix}` : '';
  const filters: object[] = [];
  if (rewrite !== '' && !(rewrite === '/' && prefix === '/')) filters.push(...(stripTo(rewrite, prefix).filters ?? []));
  if (!route.appServer) {
    filters.push({
      type: 'RequestHeaderModifier',
      requestHeaderModifier: { set: [{ name: 'X-Forwarded-Prefix', value: prefix }], remove: ['Forwarded', 'X-Forwarded-Port', 'X-Real-IP'] },
    });
  }
  return { matches: [match], ...(filters.length ? { filters } : {}), backendRefs: [{ name, port }] };
}

/** The filter that replaces the matched prefix by `to`; none for the catch-all kept as is. */
function stripTo(to: string, prefix: string): { filters?: object[] } {
  if (prefix === '/' && to === '/') return {};
  return { filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: to } } }] };
}

/** A DNS-1035 label (what a Service name must be) from a mount's name. */
export function serviceName(name: string, kind: string): string {
  return `mounts-${kind}-${dnsLabel(name)}`.slice(0, 63).replace(/-+$/, '');
}

function dnsLabel(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'root';
}
