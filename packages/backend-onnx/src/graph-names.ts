// The graph names and hub file choice live in core, shared with the web backend.
export { GRAPHS, graphFiles, graphNames } from '@tessera/core/backend';
