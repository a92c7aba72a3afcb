// A Koa app: Mounts calls app.callback().
const Koa = require('koa');

const app = new Koa();
app.use(async (ctx) => {
  ctx.body = { app: 'koa', path: ctx.path, mountedAt: ctx.req.baseUrl };
});

module.exports = app;
