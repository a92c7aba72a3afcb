/**
 * VS Code learns the agent tools from package.json before any code runs, so the manifest must say
 * what the code serves: the same names, descriptions and input schemas as src/mcp/tools.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { languageModelTools } from '../../src/mcp/contribution';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { languageModelTools: unknown; mcpServerDefinitionProviders: unknown };
};

describe('agent tools in package.json', () => {
  it('declares every tool as the code defines it', () => {
    assert.deepEqual(manifest.contributes.languageModelTools, languageModelTools(), `package.json's contributes.languageModelTools should be:\n${JSON.stringify(languageModelTools(), null, 2)}`);
  });

  it('declares the MCP server definition provider the extension registers', () => {
    const source = fs.readFileSync(path.resolve(__dirname, '../../../src/ui/agentTools.ts'), 'utf8');
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: 'mounts.mcp', label: 'Mounts' }]);
    assert.match(source, /registerMcpServerDefinitionProvider\('mounts\.mcp'/);
  });
});
