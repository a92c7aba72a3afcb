// A plain Node request handler: (req, res). Mounts strips the prefix from req.url and keeps it in
// req.baseUrl, so the app builds its links from req.baseUrl and works under any prefix.
const posts = [
  { slug: 'hello', title: 'Hello, Mounts', body: 'One server, many apps.' },
  { slug: 'prefixes', title: 'On prefixes', body: 'Each app lives at its own path.' },
];

module.exports = function blog(req, res) {
  const base = req.baseUrl;
  const slug = req.url.split('?')[0].replace(/^\/+|\/+$/g, '');
  const page = (title, body) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!DOCTYPE html><title>${title}</title><h1>${title}</h1>${body}<p><small>blog app mounted at ${base}</small></p>`);
  };
  if (slug === '') {
    return page('Blog', `<ul>${posts.map((p) => `<li><a href="${base}/${p.slug}">${p.title}</a></li>`).join('')}</ul>`);
  }
  const post = posts.find((p) => p.slug === slug);
  if (!post) {
    res.statusCode = 404;
    return page('No such post', `<a href="${base}/">All posts</a>`);
  }
  return page(post.title, `<p>${post.body}</p><a href="${base}/">All posts</a>`);
};
