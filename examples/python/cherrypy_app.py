"""A CherryPy application, served as a plain WSGI callable: no cherrypy.quickstart, no cherrypy.tree."""
import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return (f'<!DOCTYPE html><title>CherryPy</title><h1>CherryPy</h1>'
                f'<p><a href="{cherrypy.url("/greet", qs="name=mounts")}">Greet</a></p>')

    @cherrypy.expose
    def greet(self, name='world'):
        return f'Hello, {name}! I am at {cherrypy.url()}; script_name {cherrypy.request.script_name!r}.'

    @cherrypy.expose
    def later(self):
        raise cherrypy.HTTPRedirect('greet?name=redirected')


# The engine, not CherryPy, runs the server: no autoreloader or signal handlers of CherryPy's own.
cherrypy.config.update({'engine.autoreload.on': False, 'environment': 'embedded'})
app = cherrypy.Application(Root(), script_name=None)
