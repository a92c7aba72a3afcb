// An ES module with a named export (mounts.json says "export": "forum").
const topics = ['Welcome', 'Show your mounts'];

export function forum(req, res) {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ app: 'forum', mountedAt: req.baseUrl, path: req.url, topics }));
}
