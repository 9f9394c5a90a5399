// Node's assertion error and deep equality (a page bundle takes ./assertion-browser.js instead).
export { AssertionError, deepStrictEqual } from 'node:assert/strict';
