// A stand-in for the Python extension (ms-python.python), which cannot be installed offline: the
// part of its environments API that @vscode/python-extension hands to Mounts. The selected
// interpreter starts as /usr/bin/python3 for every folder; `pythonStandIn.select(path)` changes it
// and fires onDidChangeActiveEnvironmentPath, as a selection in the real extension does.
const vscode = require('vscode');

let selected = '/usr/bin/python3';

function activate(context) {
  const changed = new vscode.EventEmitter();
  context.subscriptions.push(
    changed,
    vscode.commands.registerCommand('pythonStandIn.select', (path) => {
      selected = path;
      changed.fire({ id: path, path, resource: undefined });
    }),
  );
  return {
    environments: {
      getActiveEnvironmentPath: () => ({ id: selected, path: selected }),
      resolveEnvironment: async (environment) => {
        const path = typeof environment === 'string' ? environment : environment.path;
        return { id: path, path, executable: { uri: vscode.Uri.file(path) } };
      },
      onDidChangeActiveEnvironmentPath: changed.event,
    },
  };
}

module.exports = { activate, deactivate() {} };
