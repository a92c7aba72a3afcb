"""Serves one WSGI or ASGI app for Mounts on 127.0.0.1:$PORT, mounted at $MOUNT_PREFIX.

Mounts forwards the full request path (the prefix is not stripped) and sets fresh X-Forwarded-For,
-Host and -Proto headers itself (it drops any a client sent), so this runner can trust them: the
app sees the public Host, scheme and client address, and builds public URLs.

- WSGI: SCRIPT_NAME and PATH_INFO follow cheroot's PathInfoDispatcher exactly, whatever the server:
  the prefix in SCRIPT_NAME, the rest in PATH_INFO ('' for the prefix itself, '/' for prefix + '/').
  The server is cheroot, else waitress, else the standard library's (threaded, HTTP/1.1 keep-alive).
- ASGI: root_path is the prefix. `path` keeps it, as the ASGI spec has it, except for Starlette
  before 0.35 (FastAPI apps on Debian 12's 0.26), which routes on `path` as if it had no root_path.
  The server is uvicorn, else hypercorn; both are given the scope this way whatever their version,
  so no --root-path semantics of either is relied on. Lifespan events run when the app supports them.

MOUNTS_WSGI_SERVER (cheroot, waitress, stdlib) and MOUNTS_ASGI_SERVER (uvicorn, hypercorn) in a
mount's env pick a server instead.

Runs on Python 3.8 and newer (runner.py checks that first).
"""
import importlib
import os
import signal
import sys
import threading
import traceback
from urllib.parse import unquote, unquote_to_bytes

import mounts_django
import mounts_stdlib

EXIT_CANNOT_LOAD = 1
EXIT_NO_SERVER = 4


def say(message):
    print('mounts: ' + message, file=sys.stderr, flush=True)


def main(kind, ref, source):
    host = os.environ.get('HOST', '127.0.0.1')
    port = int(os.environ['PORT'])
    prefix = os.environ.get('MOUNT_PREFIX', '')
    version = '.'.join(str(part) for part in sys.version_info[:3])
    # The server is chosen before the app is imported: a missing one is the error to report first.
    server = choose_wsgi_server() if kind == 'wsgi' else choose_asgi_server()
    app = mounts_django.with_static_files(load_app(ref), kind, unquote(prefix))
    say('Python %s at %s (%s) serves %s %s with %s, mounted at %s'
        % (version, sys.executable, source, kind, ref, server.description, prefix or '/'))
    if kind == 'wsgi':
        server.run(mount_wsgi(app, unquote_to_bytes(prefix).decode('latin-1')), host, port)
    else:
        server.run(mount_asgi(app, unquote(prefix), routes_on_path_without_root_path()), host, port)


def load_app(ref):
    module_name, _, attribute = ref.partition(':')
    factory = attribute.endswith('()')
    if factory:
        attribute = attribute[:-2]
    try:
        target = importlib.import_module(module_name)
        for name in attribute.split('.'):
            target = getattr(target, name)
        if factory:
            target = target()
    except SystemExit:
        raise
    except BaseException as error:
        # The runner's and importlib's frames say nothing about the app: the traceback starts at its code.
        frames = error.__traceback__
        while frames is not None and is_machinery(frames.tb_frame.f_code.co_filename):
            frames = frames.tb_next
        traceback.print_exception(type(error), error, frames)
        say('cannot load %s' % ref)
        sys.exit(EXIT_CANNOT_LOAD)
    if not callable(target):
        say('%s is a %s, not a callable app' % (ref, type(target).__name__))
        sys.exit(EXIT_CANNOT_LOAD)
    return target


def is_machinery(filename):
    return filename == __file__ or filename.startswith('<frozen ') or filename == importlib.__file__


# --- WSGI -----------------------------------------------------------------------------------------

def mount_wsgi(app, prefix):
    """The app at `prefix` (decoded, '' for the root), with the forwarded headers applied."""
    def mounted(environ, start_response):
        forwarded = environ.get('HTTP_X_FORWARDED_HOST')
        if forwarded:
            environ['HTTP_HOST'] = forwarded
        proto = environ.get('HTTP_X_FORWARDED_PROTO')
        if proto in ('http', 'https'):
            environ['wsgi.url_scheme'] = proto
        client = environ.get('HTTP_X_FORWARDED_FOR')
        if client:
            environ['REMOTE_ADDR'] = client.split(',')[-1].strip()
        if forwarded:
            name, port = split_host(forwarded, environ['wsgi.url_scheme'])
            environ['SERVER_NAME'] = name
            environ['SERVER_PORT'] = port
        # cheroot's PathInfoDispatcher, for one app: an empty PATH_INFO counts as '/'.
        path = environ.get('PATH_INFO', '') or '/'
        if path == prefix or path.startswith(prefix + '/'):
            environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
            environ['PATH_INFO'] = path[len(prefix):]
            return without_forbidden_body(app, environ, start_response)
        # Mounts routes only the prefix's paths here; anything else came from elsewhere.
        start_response('404 Not Found', [('Content-Type', 'text/plain'), ('Content-Length', '0')])
        return [b'']
    return mounted


def without_forbidden_body(app, environ, start_response):
    """The app's answer, minus any body where HTTP allows none (HEAD, 1xx, 204, 304).

    WSGI apps often return the body anyway, and cheroot and wsgiref then send it: bytes that the next
    reader of the connection takes for the start of the next answer. Answers that may have a body
    pass through untouched (no wrapper) once the app has called start_response before returning.
    """
    bodyless = [environ.get('REQUEST_METHOD') == 'HEAD', False]  # [no body allowed, status known]

    def starting(status, headers, exc_info=None):
        code = status[:3]
        bodyless[0] = bodyless[0] or code in ('204', '304') or code.startswith('1')
        bodyless[1] = True
        write = start_response(status, headers, exc_info)

        def guarded_write(data):
            if not bodyless[0]:
                write(data)
        return guarded_write

    result = app(environ, starting)
    if bodyless[1] and not bodyless[0]:
        return result
    return dropping_body(result, bodyless)


def dropping_body(result, bodyless):
    """Yields `result`'s pieces until the status shows there must be none; closes it either way (PEP 3333)."""
    try:
        for piece in result:
            if bodyless[0]:
                break
            yield piece
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            close()


def split_host(host, scheme):
    default = '443' if scheme == 'https' else '80'
    if host.startswith('['):
        end = host.find(']')
        rest = host[end + 1:]
        return host[:end + 1], rest[1:] if rest.startswith(':') else default
    name, _, port = host.partition(':')
    return name, port or default


class Server:
    def __init__(self, description, run):
        self.description = description
        self.run = run


def choose_wsgi_server():
    return choose_server('MOUNTS_WSGI_SERVER', [
        ('cheroot', ('cheroot', 'cheroot.wsgi'), run_cheroot),
        ('waitress', ('waitress',), run_waitress),
    ], ('stdlib', Server("the standard library's server (install cheroot or waitress for a faster one)", run_stdlib)))


def choose_asgi_server():
    return choose_server('MOUNTS_ASGI_SERVER', [
        ('uvicorn', ('uvicorn',), run_uvicorn),
        ('hypercorn', ('hypercorn',), run_hypercorn),
    ], None, 'asgi mounts need uvicorn or hypercorn')


def choose_server(variable, servers, fallback, none_why=None):
    """The server `variable` names, else the first of `servers` (name, modules, run) that imports,
    else `fallback` (name, Server); with no fallback, none importable is the error `none_why`."""
    wanted = os.environ.get(variable, '')
    names = [name for name, _, _ in servers] + ([fallback[0]] if fallback else [])
    if wanted not in [''] + names:
        say('%s must be %s or %s, not "%s"' % (variable, ', '.join(names[:-1]), names[-1], wanted))
        sys.exit(EXIT_NO_SERVER)
    for name, modules, run in servers:
        if wanted not in ('', name):
            continue
        try:
            imported = [importlib.import_module(module) for module in modules]
        except ImportError:
            if wanted:
                no_server('%s is "%s"' % (variable, name), name)
            continue
        version = getattr(imported[0], '__version__', '')
        return Server(name + ' ' + version if version else name, run)
    if fallback:
        return fallback[1]
    no_server(none_why, servers[0][0])


def stop_on_sigterm(stop):
    """SIGTERM (how Mounts stops an app) runs `stop` on a thread: the serving loop keeps the main one."""
    stopper = []

    def on_signal(signum, frame):
        if not stopper:
            stopper.append(threading.Thread(target=stop, name='mounts-stop'))
            stopper[0].start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stopper


def run_cheroot(app, host, port):
    from cheroot import wsgi
    # Mounts keeps a pool of connections to the runner. cheroot's defaults are made for many clients:
    # a listen backlog of 5 drops the SYNs of a burst of new pool connections (1 s retries), and past
    # 10 idle keep-alive connections it closes each one after its answer, so the pool reconnects on
    # every request. Measured with wrk -c64 through Mounts on the bench machine: 120 req/s and
    # timeouts with the defaults.
    server = wsgi.Server((host, port), app, numthreads=int(os.environ.get('MOUNTS_WSGI_THREADS', '16')), request_queue_size=128)
    server.keep_alive_conn_limit = 256
    # stop() closes the listener, lets each request in progress finish, then closes idle connections.
    stopper = stop_on_sigterm(server.stop)
    server.safe_start()
    for thread in stopper:
        thread.join()


def run_waitress(app, host, port):
    import waitress.server
    server = waitress.server.create_server(app, host=host, port=port, threads=int(os.environ.get('MOUNTS_WSGI_THREADS', '16')))
    stop_on_sigterm(server.close)
    try:
        server.run()
    except (OSError, ValueError):
        # close() from the signal thread ends the loop with a closed socket.
        pass


def run_stdlib(app, host, port):
    mounts_stdlib.serve(app, host, port, stop_on_sigterm)


# --- ASGI -----------------------------------------------------------------------------------------

def routes_on_path_without_root_path():
    """Starlette before 0.35 matches routes on `path` alone, so `path` must not carry the prefix."""
    if 'starlette' not in sys.modules:
        return False
    try:
        from starlette._utils import get_route_path  # noqa: F401 (0.35+: strips root_path itself)
    except ImportError:
        return True
    return False


def mount_asgi(app, prefix, strip_path):
    async def mounted(scope, receive, send):
        if scope['type'] not in ('http', 'websocket'):
            return await app(scope, receive, send)
        scope = dict(scope)
        headers = scope.get('headers', [])
        forwarded = {}
        for name, value in headers:
            if name in (b'x-forwarded-host', b'x-forwarded-proto', b'x-forwarded-for'):
                forwarded[name] = value
        host = forwarded.get(b'x-forwarded-host')
        if host:
            scope['headers'] = [(name, value) for name, value in headers if name != b'host'] + [(b'host', host)]
        proto = forwarded.get(b'x-forwarded-proto', b'').decode('latin-1')
        if proto in ('http', 'https'):
            secure = proto == 'https'
            scope['scheme'] = ('wss' if secure else 'ws') if scope['type'] == 'websocket' else proto
            if host:
                name, port = split_host(host.decode('latin-1'), proto)
                scope['server'] = (name.strip('[]'), int(port) if port.isdigit() else None)
        client = forwarded.get(b'x-forwarded-for')
        if client:
            scope['client'] = (client.decode('latin-1').split(',')[-1].strip(), 0)
        path = scope['path']
        if prefix and not (path == prefix or path.startswith(prefix + '/')):
            if scope['type'] == 'http':
                await send({'type': 'http.response.start', 'status': 404, 'headers': [(b'content-length', b'0')]})
                await send({'type': 'http.response.body', 'body': b''})
            return None
        scope['root_path'] = scope.get('root_path', '') + prefix
        if strip_path:
            scope['path'] = path[len(prefix):]
        return await app(scope, receive, send)
    return mounted


def no_server(why, package):
    say('%s, and %s cannot import it; install it into that interpreter: %s -m pip install %s'
        % (why, sys.executable, sys.executable, package))
    sys.exit(EXIT_NO_SERVER)


def run_uvicorn(app, host, port):
    import uvicorn
    # proxy_headers off: the runner applies Mounts' forwarded headers itself; uvicorn handles SIGTERM
    # by finishing the requests in progress and running the lifespan shutdown.
    config = uvicorn.Config(app, host=host, port=port, lifespan='auto', proxy_headers=False,
                            access_log=False, log_level='warning', server_header=False)
    uvicorn.Server(config).run()


def run_hypercorn(app, host, port):
    import asyncio
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    config = Config()
    config.bind = ['%s:%d' % (host, port)]
    config.accesslog = None

    async def serve_until_stopped():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)
    asyncio.run(serve_until_stopped())
