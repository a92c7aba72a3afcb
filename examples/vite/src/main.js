import './style.css';
import { message } from './message.js';

document.querySelector('#message').textContent = message;

// Accept updates of message.js without reloading the page.
if (import.meta.hot) {
  import.meta.hot.accept('./message.js', (next) => {
    document.querySelector('#message').textContent = next.message;
  });
}
