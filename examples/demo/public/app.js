document.getElementById('route').textContent = `Client-side route: ${location.pathname}`;
