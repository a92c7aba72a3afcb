// A fetch-style app: anything with fetch(request) => Response (Hono, itty-router, ...).
export default {
  async fetch(request) {
    const url = new URL(request.url);
    return Response.json({ app: 'fetch-style', path: url.pathname, query: Object.fromEntries(url.searchParams) });
  },
};
