export { createServer, type TesseraServer } from './app.js';
export { DEFAULT_LIMITS, type ServerLimits, type ServerOptions, type ServedModel } from './options.js';
export { ServerMetrics } from './metrics.js';
export { packBits, base64Floats } from './encoding.js';
