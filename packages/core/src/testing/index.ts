export { startFakeHub, type FakeHub, type FakeHubRepo, type FakeRepoBehaviour } from './fake-hub.js';
