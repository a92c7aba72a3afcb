"""Run a WSGI app behind Mounts with the standard library only.

Mounts forwards a prefix (say /blog) to this server and tells it the prefix in `X-Forwarded-Prefix`.
`forwarded_prefix` turns that header into `SCRIPT_NAME`, the WSGI way of saying "this app is mounted
at /blog", so the app builds its links and redirects with `SCRIPT_NAME` and they are right under any
prefix. When the mount keeps the prefix (`"stripPrefix": false`), it is also moved out of
`PATH_INFO`, as a WSGI server mounting the app at that path would do.

Trust the header only behind a proxy you run: this server listens on 127.0.0.1 (`HOST`).
"""
import os
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server


def forwarded_prefix(app):
    def middleware(environ, start_response):
        prefix = environ.get('HTTP_X_FORWARDED_PREFIX', '').rstrip('/')
        if prefix.startswith('/') or prefix == '':
            path = environ.get('PATH_INFO', '')
            if prefix and (path == prefix or path.startswith(prefix + '/')):
                environ['PATH_INFO'] = path[len(prefix):]
            environ['SCRIPT_NAME'] = prefix
        return app(environ, start_response)

    return middleware


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(app):
    """Serves `app` on $HOST:$PORT (Mounts sets both) until the process is stopped."""
    host = os.environ.get('HOST', '127.0.0.1')
    port = int(os.environ.get('PORT', '8000'))
    with make_server(host, port, forwarded_prefix(app), server_class=ThreadingWSGIServer) as httpd:
        print(f'serving on http://{host}:{port}/ for {os.environ.get("MOUNT_PREFIX") or "/"}', flush=True)
        httpd.serve_forever()
