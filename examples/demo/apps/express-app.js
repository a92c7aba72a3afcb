// An Express 5 app. Mounted at /express it behaves as under app.use('/express', app).
const express = require('express');

const app = express();
app.get('/', (req, res) => res.send(`<h1>Express</h1><p>req.baseUrl is ${req.baseUrl}</p><a href="${req.baseUrl}/users/42">a user</a>`));
app.get('/users/:id', (req, res) => res.json({ app: 'express', id: req.params.id, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));
app.get('/old', (req, res) => res.redirect(`${req.baseUrl}/`));

module.exports = app;
