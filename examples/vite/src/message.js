export const message = 'Hello from Vite, served at ' + import.meta.env.BASE_URL;
