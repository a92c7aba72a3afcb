"""The seed's forum as a plain WSGI app: topics with links built from SCRIPT_NAME."""
import html
import json

TOPICS = ['Welcome', 'Show your mounts']


def forum(environ, start_response):
    base = environ.get('SCRIPT_NAME', '')
    path = environ.get('PATH_INFO', '') or '/'
    if path == '/api':
        body = json.dumps({'app': 'forum', 'mountedAt': base, 'topics': TOPICS}).encode()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    if path == '/':
        items = ''.join(f'<li><a href="{html.escape(base)}/topic/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(TOPICS))
        body = f'<!DOCTYPE html><title>Forum</title><h1>Forum</h1><ul>{items}</ul><p><a href="{html.escape(base)}/api">JSON</a></p>'
        start_response('200 OK', [('Content-Type', 'text/html; charset=utf-8')])
        return [body.encode()]
    if path.startswith('/topic/') and path[7:].isdigit() and int(path[7:]) < len(TOPICS):
        topic = TOPICS[int(path[7:])]
        body = f'<!DOCTYPE html><title>{html.escape(topic)}</title><h1>{html.escape(topic)}</h1><a href="{html.escape(base)}/">All topics</a>'
        start_response('200 OK', [('Content-Type', 'text/html; charset=utf-8')])
        return [body.encode()]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'no such topic\n']

