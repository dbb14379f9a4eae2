/* global window, document, location, URLSearchParams */
// Stands in for VS Code around the webview: acquireVsCodeApi() (records what the panel posts,
// keeps its state), the theme kind on <body>, and a log of CSP violations.
(() => {
  const params = new URLSearchParams(location.search);
  const theme = params.get("theme") === "light" ? "light" : "dark";
  document.documentElement.dataset.theme = theme;
  document.body.classList.add(`vscode-${theme}`);
  document.body.dataset.vscodeThemeKind = `vscode-${theme}`;

  const relay = { posted: [], state: undefined, violations: [], flags: {}, acquired: 0 };
  window.__relay = relay;
  window.acquireVsCodeApi = () => {
    relay.acquired++;
    if (relay.acquired > 1) throw new Error("An instance of the VS Code API has already been acquired");
    return {
      postMessage: (message) => relay.posted.push(JSON.parse(JSON.stringify(message))),
      getState: () => relay.state,
      setState: (state) => {
        relay.state = JSON.parse(JSON.stringify(state));
      },
    };
  };
  document.addEventListener("securitypolicyviolation", (e) => {
    relay.violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`);
  });
})();
