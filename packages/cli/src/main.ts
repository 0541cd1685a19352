/** @samsa/cli as a library: the broker command, the tools and their runner. */
export { parseServerArgs, loadServerConfig, runServer } from './commands/server.js';
export { runTool, processIo, runAsProcess, type Io, type Tool } from './tool.js';
export { TOOLS, findTool } from './tools.js';
export { main } from './dispatch.js';
