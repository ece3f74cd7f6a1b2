/**
 * A stand-in host for the engine lifecycle tests: starts the engine through EngineHost, prints
 * {"enginePid": N} and then idles until killed. The test kills this process with SIGKILL and checks the
 * engine follows.
 */
import { EngineHost } from '../../electron/engine-host/engine-host';
import { reportAndIdle } from './engine-processes';

const host = new EngineHost();
await host.ensureRunning();
reportAndIdle({ enginePid: host.pid });
