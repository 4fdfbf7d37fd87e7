import { describe, expect, it } from 'vitest';

import { mcpClientConfigs, mcpEndpoint, readArticleCall, TOKEN_PLACEHOLDER } from './mcpConfig';

describe('mcpEndpoint', () => {
  it('keeps the base path', () => {
    expect(mcpEndpoint('https://example.com/docs/')).toBe('https://example.com/docs/mcp');
    expect(mcpEndpoint('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000/mcp');
  });
});

describe('mcpClientConfigs', () => {
  const configs = mcpClientConfigs('https://example.com/mcp');

  it('covers the four clients', () => {
    expect(configs.map((config) => config.client)).toEqual(['Claude Desktop', 'Claude Code', 'VS Code', 'Cursor']);
  });

  it('puts the endpoint into every snippet', () => {
    for (const config of configs) expect(config.text).toContain('https://example.com/mcp');
  });

  it('produces valid JSON where the snippet is JSON', () => {
    for (const config of configs.filter((entry) => entry.language === 'json')) expect(() => JSON.parse(config.text)).not.toThrow();
  });

  it('lets VS Code prompt for the token instead of the placeholder', () => {
    const vscode = JSON.parse(configs.find((config) => config.id === 'vscode')!.text);
    expect(vscode.servers['markdown-manager'].headers.Authorization).toBe('Bearer ${input:mdm-token}');
  });

  it('inserts a given token', () => {
    const cursor = mcpClientConfigs('https://example.com/mcp', 'sk-md-abc').find((config) => config.id === 'cursor')!;
    expect(cursor.text).toContain('Bearer sk-md-abc');
    expect(cursor.text).not.toContain(TOKEN_PLACEHOLDER);
  });
});

describe('readArticleCall', () => {
  it('names the tool and the filename', () => {
    expect(JSON.parse(readArticleCall('release-notes'))).toEqual({ name: 'readArticle', arguments: { filename: 'release-notes.md' } });
  });
});
