/** What "Create mounts.json" writes: valid as is, with every kind of mount shown in comments. */
export const CONFIG_TEMPLATE = `// Mounts: one local web server for this workspace, serving each app at its URL prefix.
// Hover a field for its description; Ctrl+Space completes. Save to apply while serving.
{
  "host": "127.0.0.1", // the server binds only this machine unless told otherwise
  "port": 8080,        // 0 picks a free port
  "mounts": [
    // A static folder at the root: index.html, assets, folders.
    { "prefix": "/", "name": "site", "static": ".", "listing": true },

    // A Node app exporting (req, res) => ..., an Express/Connect/Koa app, or { fetch }.
    // { "prefix": "/api", "name": "api", "module": "server/app.js" },

    // Another local server, forwarded at a prefix.
    // { "prefix": "/backend", "proxy": "http://127.0.0.1:5000" },

    // Any command that listens on $PORT, started and stopped with the server.
    // { "prefix": "/py", "command": "python3 -m http.server $PORT" },
  ],
}
`;
