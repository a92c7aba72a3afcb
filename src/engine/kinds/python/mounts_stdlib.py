"""The WSGI server of last resort, from the standard library only: threads and HTTP/1.1 keep-alive.

wsgiref's own server answers one request per connection in HTTP/1.0, which makes every request
through Mounts pay a new TCP connection. This keeps wsgiref's handler (environ, headers, errors) and
adds what it lacks: requests one after another on a connection, answers of unknown length sent
chunked (so a streamed answer does not end its connection), a request body the app cannot read past
(nor leave half read), chunked request bodies, and a stop that lets requests in progress finish.
"""
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

MAX_LINE = 65536
SPOOL_BYTES = 1 << 20
STOP_WAIT_SECONDS = 1.5


class KeepAliveServerHandler(ServerHandler):
    http_version = '1.1'
    chunked = False

    def bodyless(self):
        status = self.status or ''
        return self.environ.get('REQUEST_METHOD') == 'HEAD' or status[:3] in ('204', '304') or status[:1] == '1'

    def write(self, data):
        # wsgiref's write, with each piece framed as a chunk when the answer is chunked.
        if not self.status:
            raise AssertionError('write() before start_response()')
        if not self.headers_sent:
            self.bytes_sent = len(data)
            self.send_headers()
        else:
            self.bytes_sent += len(data)
        if not self.chunked:
            self._write(data)
        elif data:
            self._write(b'%x\r\n%s\r\n' % (len(data), data))
        self._flush()

    def finish_content(self):
        # wsgiref adds Content-Length: 0 to an answer with no body written, which for HEAD and 304
        # contradicts the length GET would send, and which a 204 must not carry at all.
        if not self.headers_sent and self.bodyless():
            self.send_headers()
        else:
            super().finish_content()
        if self.chunked:
            self._write(b'0\r\n\r\n')
            self._flush()

    def cleanup_headers(self):
        super().cleanup_headers()
        if 'Content-Length' not in self.headers and not self.bodyless():
            if self.request_handler.request_version == 'HTTP/1.1' and 'Transfer-Encoding' not in self.headers:
                self.headers['Transfer-Encoding'] = 'chunked'
                self.chunked = True
            else:
                # An answer of unknown length ends with the connection: say so, and read no other.
                self.headers['Connection'] = 'close'
                self.request_handler.close_connection = True
        elif (self.headers.get('Connection') or '').lower() == 'close':
            self.request_handler.close_connection = True


class RequestHandler(WSGIRequestHandler):
    protocol_version = 'HTTP/1.1'

    def handle(self):
        # BaseHTTPRequestHandler's loop: one request after another until the connection closes.
        BaseHTTPRequestHandler.handle(self)

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if len(self.raw_requestline) > MAX_LINE:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        state = self.server.state
        with state.lock:
            if state.stopping:
                self.close_connection = True
            state.busy += 1
        try:
            body = self.read_body()
            if body is None:
                return
            environ = self.get_environ()
            if self.headers.get('Transfer-Encoding'):
                environ.pop('HTTP_TRANSFER_ENCODING', None)
                environ['CONTENT_LENGTH'] = str(body.length)
            handler = KeepAliveServerHandler(body.file, self.wfile, self.get_stderr(), environ, multithread=True)
            handler.request_handler = self
            handler.run(self.server.get_app())
            self.wfile.flush()
        finally:
            with state.lock:
                state.busy -= 1
                if state.stopping:
                    self.close_connection = True
                state.changed.notify_all()

    def read_body(self):
        """The whole request body, spooled: the app may read any part of it and the next request starts clean."""
        spooled = Body()
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            while True:
                size_line = self.rfile.readline(MAX_LINE + 1)
                try:
                    size = int(size_line.split(b';', 1)[0].strip(), 16)
                except ValueError:
                    self.send_error(400, 'Bad chunk size')
                    self.close_connection = True
                    return None
                if size == 0:
                    while self.rfile.readline(MAX_LINE + 1) not in (b'\r\n', b'\n', b''):
                        pass
                    break
                spooled.write(self.rfile.read(size))
                self.rfile.readline(MAX_LINE + 1)
        else:
            remaining = int(self.headers.get('Content-Length') or 0)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    self.close_connection = True
                    break
                spooled.write(chunk)
                remaining -= len(chunk)
        spooled.file.seek(0)
        return spooled

    def log_message(self, format, *args):
        # Mounts writes the access log; a line per request here would be noise in it.
        pass


class Body:
    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.length = 0

    def write(self, data):
        self.file.write(data)
        self.length += len(data)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.busy = 0
        self.stopping = False


class ThreadingServer(ThreadingMixIn, WSGIServer):
    # Idle keep-alive connections must not hold the process up once it stops.
    daemon_threads = True


def serve(app, host, port, stop_on_sigterm):
    server = ThreadingServer((host, port), RequestHandler)
    server.state = State()
    server.set_app(app)

    def stop():
        state = server.state
        with state.lock:
            state.stopping = True
        server.shutdown()
        with state.lock:
            state.changed.wait_for(lambda: state.busy == 0, STOP_WAIT_SECONDS)

    stopper = stop_on_sigterm(stop)
    server.serve_forever()
    for thread in stopper:
        thread.join()
    server.server_close()
