/** Client configuration snippets for connecting MCP clients to this server's /mcp endpoint. */

export interface McpClientConfig {
  id: string;
  client: string;
  /** Location of the snippet: the file to edit or the place to run it. */
  location: string;
  language: 'json' | 'shell';
  text: string;
}

/** Placeholder shown in place of a real access token. */
export const TOKEN_PLACEHOLDER = '<your access token>';

export const SERVER_NAME = 'markdown-manager';

/** Returns the absolute /mcp URL under the document base, so a BASE_PATH prefix is kept. */
export function mcpEndpoint(baseUri: string = document.baseURI): string {
  return new URL('mcp', baseUri).toString();
}

export function mcpClientConfigs(endpoint: string, token: string = TOKEN_PLACEHOLDER): McpClientConfig[] {
  const authorization = `Bearer ${token}`;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    {
      id: 'claude-desktop',
      client: 'Claude Desktop',
      location: 'claude_desktop_config.json (Settings → Developer → Edit Config). Claude Desktop reaches remote servers through the mcp-remote bridge, which needs Node.js.',
      language: 'json',
      text: json({
        mcpServers: {
          [SERVER_NAME]: {
            command: 'npx',
            args: ['-y', 'mcp-remote', endpoint, '--header', 'Authorization:${MDM_AUTH_HEADER}'],
            env: { MDM_AUTH_HEADER: authorization },
          },
        },
      }),
    },
    {
      id: 'claude-code',
      client: 'Claude Code',
      location: 'Run in a terminal. Add --scope user to use the server in every project.',
      language: 'shell',
      text: `claude mcp add --transport http ${SERVER_NAME} ${endpoint} \\\n  --header "Authorization: ${authorization}"`,
    },
    {
      id: 'vscode',
      client: 'VS Code',
      location: '.vscode/mcp.json in your workspace. VS Code asks for the token once and stores it securely.',
      language: 'json',
      text: json({
        inputs: [{ type: 'promptString', id: 'mdm-token', description: 'MCP Markdown Manager access token', password: true }],
        servers: {
          [SERVER_NAME]: {
            type: 'http',
            url: endpoint,
            headers: { Authorization: token === TOKEN_PLACEHOLDER ? 'Bearer ${input:mdm-token}' : authorization },
          },
        },
      }),
    },
    {
      id: 'cursor',
      client: 'Cursor',
      location: '~/.cursor/mcp.json, or .cursor/mcp.json in a project.',
      language: 'json',
      text: json({
        mcpServers: {
          [SERVER_NAME]: { url: endpoint, headers: { Authorization: authorization } },
        },
      }),
    },
  ];
}

/** Returns a tools/call request body that reads one article over MCP. */
export function readArticleCall(slug: string): string {
  return JSON.stringify({ name: 'readArticle', arguments: { filename: `${slug}.md` } }, null, 2);
}
