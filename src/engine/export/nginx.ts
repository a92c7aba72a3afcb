/**
 * `mounts export nginx`: `server` blocks for the `http {}` context (a file for conf.d/).
 *
 * Each prefix is two locations, `= /p` and `^~ /p/`: nginx's longest prefix match over them is
 * Mounts' segment-boundary match (`/p`, `/p/x`, never `/px`), and `^~` keeps regular expressions
 * out of routing. The catch-all `/` is `location /`.
 */
import { commonWarnings, hashComments, headerLines, routeComment, siteComment } from './header';
import { isStrippedUpstream, serverNames, type ExportPlan, type FolderRoute, type ProxyRoute, type Site } from './plan';
import { duration } from './text';

const CONNECTION_MAP = '$mounts_connection_upgrade';

export function writeNginx(plan: ExportPlan): { text: string; warnings: string[] } {
  const warnings = commonWarnings(plan);
  if (plan.config.mounts.some(isStrippedUpstream)) {
    warnings.push(
      'Stripped proxy mounts: nginx sends the upstream the decoded, normalized path (%2F becomes /), where Mounts sends the path as received.',
    );
  }
  const blocks: string[] = [
    hashComments([
      ...headerLines('nginx', plan, warnings),
      '',
      'Include this file inside http {} (for instance as /etc/nginx/conf.d/mounts.conf).',
    ]),
    [
      '# Upgrade requests (WebSockets) keep their Connection: upgrade; others close the upstream connection.',
      `map $http_upgrade ${CONNECTION_MAP} {`,
      '    default upgrade;',
      "    ''      close;",
      '}',
    ].join('\n'),
  ];
  for (const site of plan.sites) blocks.push(serverBlock(plan, site));
  blocks.push(
    [
      '# Any other Host: refused, as Mounts refuses Hosts it does not serve (DNS rebinding).',
      'server {',
      `    listen ${listenAddress(plan)} default_server;`,
      '    server_name _;',
      '    return 403;',
      '}',
    ].join('\n'),
  );
  return { text: `${blocks.join('\n\n')}\n`, warnings };
}

function listenAddress(plan: ExportPlan): string {
  const host = plan.listenHost;
  if (host === '0.0.0.0') return String(plan.listenPort);
  if (host === '::') return `[::]:${plan.listenPort}`;
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${plan.listenPort}`;
}

function serverBlock(plan: ExportPlan, site: Site): string {
  const names = serverNames(site);
  const lines = [
    ...siteComment(site),
    'server {',
    `    listen ${listenAddress(plan)};`,
    `    server_name ${names.join(' ')};`,
    '    # Redirects say a path, as Mounts does, not an absolute URL; paths are kept as sent.',
    '    absolute_redirect off;',
    '    merge_slashes off;',
    "    # '.' and '..' segments, literal or encoded, are refused before routing, as in Mounts.",
    '    if ($request_uri ~* "^[^?]*/(\\.|%2e){1,2}(/|\\?|$)") {',
    '        return 400;',
    '    }',
  ];
  let hasRoot = false;
  site.routes.forEach((route, index) => {
    lines.push('');
    if (route.prefix === '/') hasRoot = true;
    const id = `${site.host === undefined ? '' : `${site.host.replace(/[^a-z0-9]/g, '_')}_`}${index}`;
    lines.push(...indent(route.serve === 'folder' ? staticLocations(route, id) : proxyLocations(route)));
  });
  if (!hasRoot) {
    lines.push('', '    # No mount at /: every other path is a 404, as in Mounts.', '    location / {', '        return 404;', '    }');
  }
  lines.push('}');
  return lines.join('\n');
}


function staticLocations(route: FolderRoute, id: string): string[] {
  const { prefix } = route;
  const root = prefix === '/';
  const folder = route.root.endsWith('/') ? route.root : `${route.root}/`;
  const dotfiles = `^${regexEscape(root ? '' : prefix)}/(?:.*/)?\\.`;
  const named = `@mounts_static_${id}`;
  const lines = [routeComment(route)];
  // Mounts redirects the bare prefix to the folder URL, query kept.
  if (!root) lines.push(`location = ${prefix} {`, `    return 301 ${prefix}/$is_args$args;`, '}');
  lines.push(
    `location ${root ? '/' : `^~ ${prefix}/`} {`,
    root ? `    root "${route.root}";` : `    alias "${folder}";`,
    '    index index.html;',
    `    autoindex ${route.listing ? 'on' : 'off'};`,
    '    # Dotfiles and dot-folders are 404.',
    `    location ~ "${dotfiles}" {`,
    '        return 404;',
    '    }',
    // A folder without index.html (and no listing) is 404 in Mounts, 403 in nginx; with spa, both
    // fall back to index.html for a browser navigation.
    `    error_page 403 404 = ${named};`,
    '}',
    `location ${named} {`,
  );
  if (route.spa) {
    lines.push(
      '    # SPA: a browser navigation (Accept: text/html) that matches no file gets index.html.',
      '    if ($http_accept !~* "text/html") {',
      '        return 404;',
      '    }',
      `    if ($uri ~ "${dotfiles}") {`,
      '        return 404;',
      '    }',
      `    root "${route.root}";`,
      '    rewrite ^ /index.html break;',
    );
  } else {
    lines.push('    return 404;');
  }
  lines.push('}');
  return lines;
}

function proxyLocations(route: ProxyRoute): string[] {
  const { prefix, upstream } = route;
  const root = prefix === '/';
  const origin = `${upstream.scheme}://${upstream.hostPort}`;
  const body = (exact: boolean): string[] => {
    // With a URI part, nginx replaces the matched location by it: that is the strip (or the
    // target's own path). Without one, the path goes upstream exactly as received.
    let uri = '';
    if (route.strip && !root) uri = `${upstream.basePath}/`;
    else if (upstream.basePath !== '') uri = `${upstream.basePath}${root ? '' : prefix}/`;
    if (exact && uri !== '') uri = uri.slice(0, -1) || '/';
    const lines = [
      `proxy_pass ${origin}${uri};`,
      'proxy_http_version 1.1;',
      'proxy_set_header Upgrade $http_upgrade;',
      `proxy_set_header Connection ${CONNECTION_MAP};`,
    ];
    if (route.appServer) {
      // The app server routes by the Host the client used and trusts these from loopback.
      lines.push('proxy_set_header Host $http_host;');
    } else {
      lines.push('proxy_set_header Host $proxy_host;', `proxy_set_header X-Forwarded-Prefix ${prefix};`);
    }
    lines.push(
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'proxy_set_header X-Forwarded-Host $http_host;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      '# Spoofable client headers Mounts drops too.',
      'proxy_set_header Forwarded "";',
      'proxy_set_header X-Forwarded-Port "";',
      'proxy_set_header X-Real-IP "";',
    );
    if (!route.appServer) {
      // Redirects (and cookie paths) of the upstream mapped back to public paths, as Mounts does.
      const publicBase = route.strip && !root ? prefix : '';
      const from = `${upstream.basePath}/`;
      // An absolute one stays absolute, on the public origin (the Host the client used).
      lines.push(`proxy_redirect ${origin}${from} $scheme://$http_host${publicBase}/;`);
      if (publicBase !== '' || upstream.basePath !== '') {
        lines.push(`proxy_redirect ${from} ${publicBase}/;`);
        if (publicBase !== '') lines.push(`proxy_cookie_path ~^${regexEscape(upstream.basePath)}/$ ${publicBase};`);
        lines.push(`proxy_cookie_path ${from} ${publicBase}/;`);
      }
    }
    if (upstream.scheme === 'https') lines.push('proxy_ssl_server_name on;');
    if (route.timeoutMs !== undefined) {
      lines.push(`proxy_read_timeout ${duration(route.timeoutMs)};`, `proxy_send_timeout ${duration(route.timeoutMs)};`);
    }
    return lines;
  };
  const lines = [routeComment(route)];
  if (!root) lines.push(`location = ${prefix} {`, ...indent(body(true)), '}');
  lines.push(`location ${root ? '/' : `^~ ${prefix}/`} {`, ...indent(body(false)), '}');
  return lines;
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => (line === '' ? '' : `    ${line}`));
}

export function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => (c === '/' ? '/' : `\\${c}`));
}
