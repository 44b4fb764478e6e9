import type { TemplateFile } from '../../db/schema.js';

const file = (path: string, content: string, mode = '644'): TemplateFile => ({ path, content, mode });

/** Public starter templates, seeded when their slug is free. */
export const SEED_TEMPLATES = [
  {
    slug: 'python-hello',
    name: 'Python: hello world',
    description: 'A Python script and a tiny HTTP server on port 8000 (python3 -m http.server).',
    files: [
      file('hello.py', 'print("Hello from Berth!")\n'),
      file('serve.sh', '#!/bin/sh\n# Serves this folder on port 8000: open the preview from the Ports panel.\nexec python3 -m http.server 8000\n', '755'),
      file('README.md', '# Python hello world\n\nRun `python3 hello.py`, or `./serve.sh` and open port 8000.\n'),
    ],
  },
  {
    slug: 'node-http',
    name: 'Node.js: HTTP server',
    description: 'A dependency-free Node.js HTTP server on port 3000.',
    files: [
      file(
        'server.js',
        "const http = require('node:http');\n\nconst port = Number(process.env.PORT ?? 3000);\nhttp\n  .createServer((req, res) => {\n    res.writeHead(200, { 'content-type': 'text/plain' });\n    res.end(`Hello from Berth: ${req.method} ${req.url}\\n`);\n  })\n  .listen(port, '0.0.0.0', () => console.log(`listening on ${port}`));\n",
      ),
      file('package.json', '{\n  "name": "berth-node-http",\n  "private": true,\n  "scripts": { "start": "node server.js" }\n}\n'),
      file('README.md', '# Node.js HTTP server\n\nRun `npm start` and open port 3000.\n'),
    ],
  },
  {
    slug: 'static-site',
    name: 'Static website',
    description: 'HTML and CSS, served on port 8080 by any static server.',
    files: [
      file('index.html', '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8" />\n    <title>Hello</title>\n    <link rel="stylesheet" href="style.css" />\n  </head>\n  <body>\n    <h1>Hello from Berth</h1>\n  </body>\n</html>\n'),
      file('style.css', 'body {\n  font-family: system-ui, sans-serif;\n  margin: 4rem auto;\n  max-width: 40rem;\n}\n'),
      file('README.md', '# Static website\n\nServe it with `python3 -m http.server 8080` and open port 8080.\n'),
    ],
  },
];
