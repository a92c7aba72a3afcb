/**
 * The script every live page loads from `/__mounts/live.js`. It connects to `/__mounts/live` on
 * the page's own host and scheme (so it works behind the editor's port forwarding and in
 * Codespaces), reloads on `reload`, swaps stylesheets on `css`, and after losing the server
 * reconnects with back-off and reloads once it answers again. A page with
 * `<meta name="mounts-live-reload" content="off">` is left alone.
 *
 * Plain ES2017 in a string: it runs in the user's page, not in Node, and must not be bundled
 * with the engine's code. It may also go into a page inline (see `csp.ts`), so it holds no `<`
 * or `&`: in an XHTML page either would break the document, and `</script` would end it early.
 */
import { createHash } from 'node:crypto';
import { LIVE_SOCKET_PATH } from './namespace';

export const LIVE_CLIENT_SOURCE = `(function () {
  'use strict';
  var script = document.currentScript;
  var mount = (script ? script.getAttribute('data-mount') : '') || '';
  var lost = false;
  var attempts = 0;
  var leaving = false;
  function optedOut() {
    var meta = document.querySelector('meta[name="mounts-live-reload"]');
    if (!meta) return false;
    return (meta.getAttribute('content') || '').trim().toLowerCase() === 'off';
  }
  function reload() {
    if (leaving || optedOut()) return;
    leaving = true;
    location.reload();
  }
  function sameOrigin(link) {
    try { return new URL(link.href, location.href).origin === location.origin; } catch (e) { return false; }
  }
  function pathOf(link) {
    return new URL(link.href, location.href).pathname;
  }
  function swap(link) {
    var url = new URL(link.href, location.href);
    url.searchParams.set('__mounts', Date.now().toString(36));
    var next = link.cloneNode(false);
    next.href = url.href;
    // The new sheet applies before the old one goes: no flash of unstyled content.
    next.addEventListener('load', function () { link.remove(); });
    next.addEventListener('error', function () { next.remove(); });
    link.parentNode.insertBefore(next, link.nextSibling);
  }
  function styles(paths, own) {
    if (optedOut()) return;
    var links = Array.prototype.filter.call(document.querySelectorAll('link[rel~="stylesheet"]'), sameOrigin);
    var linking = links.filter(function (link) { return paths.indexOf(pathOf(link)) !== -1; });
    // A sheet no link names may be @imported by one: the mount's own pages refresh all of theirs.
    (linking.length ? linking : own ? links : []).forEach(swap);
  }
  function connect() {
    var socket = new WebSocket((location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host +
      '${LIVE_SOCKET_PATH}?mount=' + encodeURIComponent(mount));
    socket.onopen = function () {
      attempts = 0;
      if (lost) reload();
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === 'reload') reload();
      else if (message.type === 'css') styles(message.paths, message.mount === mount);
    };
    socket.onclose = function () {
      if (leaving) return;
      lost = true;
      setTimeout(connect, Math.min(5000, 100 * Math.pow(2, attempts++)));
    };
  }
  addEventListener('pagehide', function () { leaving = true; });
  addEventListener('pageshow', function (event) { if (event.persisted) { leaving = false; connect(); } });
  function start() { if (!optedOut()) connect(); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;

export const LIVE_CLIENT_ETAG = `"${createHash('sha1').update(LIVE_CLIENT_SOURCE).digest('base64url')}"`;

/** The CSP hash source of the script's text, for a page that gets it inline. */
export const LIVE_CLIENT_HASH = `sha256-${createHash('sha256').update(LIVE_CLIENT_SOURCE).digest('base64')}`;
