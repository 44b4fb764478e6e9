/**
 * The MCP SDK, loaded on the first request to /mcp: it costs every Berth
 * process (and every test file) a second of start-up, and most never serve MCP.
 */
const load = async () => {
  const [{ McpServer }, { StreamableHTTPServerTransport }, { isInitializeRequest }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  return { McpServer, StreamableHTTPServerTransport, isInitializeRequest };
};

let loaded: ReturnType<typeof load> | undefined;
export const mcpSdk = (): ReturnType<typeof load> => (loaded ??= load());
