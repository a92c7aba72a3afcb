"""A FastAPI app: its docs at /api/docs load /api/openapi.json; its startup event runs at start."""
from fastapi import FastAPI, Request

app = FastAPI(title='Items')
state = {'started': False}


# on_event rather than lifespan=: Debian 12's FastAPI (0.92) predates that parameter.
@app.on_event('startup')
async def startup():
    state['started'] = True


@app.get('/')
def index(request: Request):
    return {'app': 'fastapi', 'root_path': request.scope.get('root_path'), 'started': state['started'],
            'docs': str(request.url_for('swagger_ui_html'))}


@app.get('/items/{item_id}')
def item(item_id: int, q: str = ''):
    return {'item_id': item_id, 'q': q}
