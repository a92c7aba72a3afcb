// Same origin as the API: no CORS, no proxy settings in vite.config.
const answer = await fetch('/api/hello').then((response) => response.json());
document.querySelector('#api').textContent = answer.message;
