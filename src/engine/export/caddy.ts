/**
 * `mounts export caddy`: a Caddyfile (Caddy 2.6 and later), one site per Host group.
 *
 * Routes are `handle` blocks on `path_regexp` matchers, written longest prefix first: Caddy keeps
 * the order of handles with regular-expression matchers, and `^/p(?:/|$)` is Mounts'
 * case-sensitive, segment-boundary match (Caddy's `path` matcher ignores case). Inside each,
 * `route` keeps the directives in the order written.
 */
import { commonWarnings, hashComments, headerLines, routeComment, siteComment } from './header';
import { regexEscape } from './nginx';
import { isStrippedUpstream, serverNames, type ExportPlan, type FolderRoute, type ProxyRoute, type Site } from './plan';
import { duration } from './text';

export function writeCaddy(plan: ExportPlan): { text: string; warnings: string[] } {
  const warnings = commonWarnings(plan);
  if (plan.config.mounts.some(isStrippedUpstream)) {
    warnings.push('Stripped proxy mounts: Set-Cookie paths are passed on unchanged (Mounts maps Path=/ to the prefix).');
  }
  const blocks = [
    hashComments([
      ...headerLines('caddy', plan, warnings),
      '',
      'Sites are plain http:// on mounts.json\'s host and port; change the addresses to serve HTTPS.',
    ]),
  ];
  for (const site of plan.sites) blocks.push(siteBlock(plan, site));
  blocks.push(
    [
      '# Any other Host: refused, as Mounts refuses Hosts it does not serve (DNS rebinding).',
      `http://:${plan.listenPort} {`,
      ...bind(plan),
      '\trespond "This server does not serve that host." 403',
      '}',
    ].join('\n'),
  );
  return { text: `${blocks.join('\n\n')}\n`, warnings };
}

function bind(plan: ExportPlan): string[] {
  const host = plan.listenHost;
  return host === '0.0.0.0' || host === '::' ? [] : [`\tbind ${host.replace(/^\[|\]$/g, '')}`];
}

function siteBlock(plan: ExportPlan, site: Site): string {
  const names = serverNames(site);
  const lines = [
    ...siteComment(site),
    `${names.map((name) => `http://${name}:${plan.listenPort}`).join(', ')} {`,
    ...bind(plan),
    "\t# '.' and '..' segments, literal or encoded, are refused before routing, as in Mounts.",
    '\t@mounts_dot_segment expression `{http.request.uri.path}.matches("(^|/)\\\\.\\\\.?(/|$)")`',
    // A handle, not a bare respond: Caddy sorts a site's respond after its handles.
    '\thandle @mounts_dot_segment {',
    '\t\trespond "The request path contains a \'.\' or \'..\' segment." 400',
    '\t}',
  ];
  let hasRoot = false;
  site.routes.forEach((route, index) => {
    const id = `m${index}`;
    if (route.prefix === '/') hasRoot = true;
    lines.push('', `\t${routeComment(route)}`);
    const matcher = route.prefix === '/' ? '' : ` @${id}`;
    if (matcher) lines.push(`\t@${id} path_regexp ^${regexEscape(route.prefix)}(?:/|$)`);
    lines.push(`\thandle${matcher} {`, '\t\troute {');
    lines.push(...(route.serve === 'folder' ? staticRoute(route, id) : proxyRoute(route)).map((line) => `\t\t\t${line}`));
    lines.push('\t\t}', '\t}');
  });
  if (!hasRoot) lines.push('', '\t# No mount at /: every other path is a 404, as in Mounts.', '\thandle {', '\t\trespond "No mount matches this path." 404', '\t}');
  lines.push('}');
  return lines.join('\n');
}


function staticRoute(route: FolderRoute, id: string): string[] {
  const { prefix } = route;
  const root = prefix === '/';
  const folder = `"${route.root}"`;
  const lines: string[] = [];
  if (!root) {
    // Mounts redirects the bare prefix to the folder URL, query kept.
    lines.push(
      `@${id}_bare_query expression \`{path} == "${prefix}" && {query} != ""\``,
      `redir @${id}_bare_query ${prefix}/?{query} 301`,
      `redir ${prefix} ${prefix}/ 301`,
    );
  }
  lines.push(
    '# Dotfiles and dot-folders are 404.',
    `@${id}_dotfile path_regexp ^${regexEscape(root ? '' : prefix)}/(?:.*/)?\\.`,
    `respond @${id}_dotfile 404`,
  );
  if (!root) lines.push(`uri strip_prefix ${prefix}`);
  // Caddy's own folder redirect is a 308 built from the stripped path: Mounts' is a 301 to the
  // path as received, query kept.
  const folderMatcher = (name: string, extra: string[]) => [
    `@${name} {`,
    '\tnot path */',
    `\tfile {`,
    `\t\troot ${folder}`,
    '\t\ttry_files {path}/',
    '\t}',
    ...extra,
    '}',
  ];
  lines.push(
    ...folderMatcher(`${id}_folder_query`, ['\texpression `{query} != ""`']),
    `redir @${id}_folder_query {http.request.orig_uri.path}/?{query} 301`,
    ...folderMatcher(`${id}_folder`, []),
    `redir @${id}_folder {http.request.orig_uri.path}/ 301`,
  );
  if (route.spa) {
    lines.push(
      '# SPA: a browser navigation (Accept: text/html) that matches no file gets index.html.',
      `@${id}_spa {`,
      '\theader_regexp Accept (?i)text/html',
      `\tnot file {`,
      `\t\troot ${folder}`,
      '\t\ttry_files {path} {path}/index.html',
      '\t}',
      '}',
      `rewrite @${id}_spa /index.html`,
    );
  }
  lines.push(`root * ${folder}`, ...(route.listing ? ['file_server browse {', '\thide .*', '}'] : ['file_server']));
  return lines;
}

function proxyRoute(route: ProxyRoute): string[] {
  const { prefix, upstream } = route;
  const root = prefix === '/';
  const lines: string[] = [];
  if (!route.appServer) {
    if (route.strip && !root) lines.push(`uri strip_prefix ${prefix}`);
    if (upstream.basePath !== '') lines.push(`rewrite * ${upstream.basePath}{uri}`);
  }
  const origin = `${upstream.scheme}://${upstream.hostPort}`;
  const options: string[] = [];
  if (!route.appServer) {
    options.push(
      // Mounts sends the target's own Host (the client's is in X-Forwarded-Host, which Caddy sets).
      'header_up Host {upstream_hostport}',
      `header_up X-Forwarded-Prefix ${prefix}`,
    );
    // Redirects of the upstream mapped back to public paths, as Mounts does.
    const publicBase = route.strip && !root ? prefix : '';
    const from = regexEscape(upstream.basePath);
    // An absolute one stays absolute, on the public origin (the Host the client used).
    options.push(`header_down Location ^${regexEscape(origin)}${from}(/|$) {http.request.scheme}://{http.request.hostport}${publicBase}/`);
    if (publicBase !== '' || upstream.basePath !== '') options.push(`header_down Location ^${from}/ ${publicBase}/`);
  }
  options.push('# Spoofable client headers Mounts drops too.', 'header_up -Forwarded', 'header_up -X-Forwarded-Port', 'header_up -X-Real-IP');
  if (route.timeoutMs !== undefined) options.push('transport http {', `\tread_timeout ${duration(route.timeoutMs)}`, '}');
  lines.push(`reverse_proxy ${origin} {`, ...options.map((line) => `\t${line}`), '}');
  return lines;
}
