/**
 * Relay chat panel, webview entry point (bundled by webview/build.mjs into an IIFE, main.js).
 * Expects the host page described in webview/README.md: a strict nonce CSP, chat.css, and an
 * element with id "app".
 */
import "./zodConfig.js"; // first: before the protocol's schemas are built
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeProgressRing, vsCodeTextArea } from "@vscode/webview-ui-toolkit";
import { ChatApp } from "./chatApp.js";
import { connectHost } from "./vscodeApi.js";

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider(), vsCodeProgressRing(), vsCodeTextArea());

const host = connectHost();
const root = document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
const app = new ChatApp(root, host);
window.addEventListener("message", (event: MessageEvent) => app.handle(event.data));
host.post({ type: "ready" });
