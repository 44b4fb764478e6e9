export { runServer } from './main.js';
export { buildApp } from './app.js';
export { loadConfig, ConfigError } from './config.js';
export { buildImage } from './tools.js';
