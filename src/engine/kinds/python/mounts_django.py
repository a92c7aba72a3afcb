# Django in development serves its static files as `manage.py runserver` does: runserver wraps its
# handler in staticfiles' StaticFilesHandler when DEBUG is on and django.contrib.staticfiles is
# installed, and a project made by `django-admin startproject` counts on that for its admin's CSS.
# Other apps (and Django with DEBUG off, as in production) are served exactly as they are.
#
# Under a prefix, the static files are served below it (/django/static/...), whether STATIC_URL is
# written '/static/' (startproject before Django 4.0) or 'static/' (since): see static_url_below.
import sys


def with_static_files(app, kind, prefix):
    """`app` wrapped in Django's static file handler when it is Django's in development, else `app`."""
    if 'django' not in sys.modules:
        return app
    try:
        from django.apps import apps
        from django.conf import settings
        if kind == 'wsgi':
            from django.core.handlers.wsgi import WSGIHandler as Handler
            from django.contrib.staticfiles.handlers import StaticFilesHandler as Static
        else:
            from django.core.handlers.asgi import ASGIHandler as Handler
            from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler as Static
    except ImportError:
        return app  # A Django too old for the handler (ASGI before 3.1): served as it is.
    if not isinstance(app, Handler) or not settings.DEBUG or not apps.is_installed('django.contrib.staticfiles'):
        return app
    below = static_url_below(prefix, settings)
    if kind == 'asgi':
        return Static(app)  # It matches the full path (scope['path'] keeps root_path), which STATIC_URL now is.

    class StaticBelowPrefix(Static):
        """Matches PATH_INFO, which is below the prefix; the file is named by request.path, which has the prefix."""
        def get_base_url(self):
            Static.get_base_url(self)  # Its checks of the settings.
            return below

        def file_path(self, url):
            return Static.file_path(self, url[len(prefix):] if prefix and url.startswith(prefix + '/') else url)
    return StaticBelowPrefix(app)


def static_url_below(prefix, settings):
    """
    Makes STATIC_URL the static files' public path under the prefix, and returns their path below it.

    Read before any request, STATIC_URL is a path from the root: '/static/' as startproject wrote it
    before Django 4.0, or the relative 'static/' with the root's script prefix. Left so, the pages of
    Django 3.2 would link the admin's CSS outside the mount (and Django 3.2 keeps the first value it
    computes for a relative one, whatever SCRIPT_NAME later requests have). Served at the
    root, the paths are what they were.
    """
    url = settings.STATIC_URL
    if not prefix or not url.startswith('/') or url.startswith('//'):
        return url
    public = url if url.startswith(prefix + '/') else prefix + url
    settings.STATIC_URL = public
    return public[len(prefix):]
