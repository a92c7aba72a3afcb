"""A Flask app: url_for() and redirect() carry the prefix, and _external=True the public origin."""
from flask import Flask, redirect, url_for

app = Flask(__name__)


@app.route('/')
def index():
    return (f'<!DOCTYPE html><title>Flask</title><h1>Flask</h1>'
            f'<p><a href="{url_for("hello", name="mounts")}">Say hello</a></p>'
            f'<p>This page: {url_for("index", _external=True)}</p>')


@app.route('/hello/<name>')
def hello(name):
    return {'hello': name, 'self': url_for('hello', name=name), 'external': url_for('hello', name=name, _external=True)}


@app.route('/go')
def go():
    return redirect(url_for('hello', name='redirected'))
