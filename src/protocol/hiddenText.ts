/**
 * Bidirectional and invisible characters, as the chat panel needs them (it imports only
 * src/protocol): marked in code blocks, and the reason Copy and Insert ask first.
 */
export { codePointLabel, describeHiddenChars, findHiddenChars, type HiddenChar } from "../core/hiddenText.js";
