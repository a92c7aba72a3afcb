"""The seed's blog as a plain WSGI app: every link and redirect is built from SCRIPT_NAME."""
import html
import time

POSTS = [
    ('hello', 'Hello, Mounts', 'One server, many apps.'),
    ('prefixes', 'On prefixes', 'Each app lives at its own path.'),
]


def page(start_response, base, title, body, status='200 OK'):
    text = (f'<!DOCTYPE html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}'
            f'<p><small>blog (Python WSGI) mounted at {html.escape(base or "/")}</small></p>')
    start_response(status, [('Content-Type', 'text/html; charset=utf-8')])
    return [text.encode()]


def blog(environ, start_response):
    base = environ.get('SCRIPT_NAME', '')
    path = environ.get('PATH_INFO', '') or '/'
    if path == '/health':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'ok\n']
    if path == '/latest':
        # A redirect built from SCRIPT_NAME: right under any prefix.
        start_response('302 Found', [('Location', f'{base}/{POSTS[0][0]}')])
        return [b'']
    if path == '/slow':
        # A request that takes a while (?seconds=N), to show that stopping waits for it.
        time.sleep(float(environ.get('QUERY_STRING', '').partition('=')[2] or 1))
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'slow done\n']
    if path == '/':
        items = ''.join(f'<li><a href="{html.escape(base)}/{slug}">{html.escape(title)}</a></li>' for slug, title, _ in POSTS)
        return page(start_response, base, 'Blog', f'<ul>{items}</ul>')
    for slug, title, body in POSTS:
        if path == f'/{slug}':
            return page(start_response, base, title, f'<p>{html.escape(body)}</p><a href="{html.escape(base)}/">All posts</a>')
    return page(start_response, base, 'No such post', f'<a href="{html.escape(base)}/">All posts</a>', '404 Not Found')

