/**
 * A stand-in app for the elevation tests: starts the engine through the launch plan named on the command line
 * (stdio, socket, or pkexec), serves HTTP (and TFTP) on loopback, prints one JSON line with the pids and what
 * the engine said, then idles until killed. The tests kill it with SIGKILL and check the engine follows.
 *
 *   node --import tsx test/helpers/engine-elevation-host.ts <stdio|socket|pkexec|pkexec-deb> <stateDir> <httpPort> <tftpPort> [root]
 *
 * pkexec-deb runs the deb package's wrapper (/opt/FieldBoot/...) through its own polkit action.
 */
import { EngineHost, defaultEngineCommand, plainLaunch, type EngineLaunchPlan } from '../../electron/engine-host/engine-host';
import { DEB_ENGINE_WRAPPER, pkexecLaunch } from '../../electron/engine-host/engine-elevation';
import { toErrorInfo } from '../../shared/errors';
import { reportAndIdle } from './engine-processes';

const [how, stateDir, http, tftp, root] = process.argv.slice(2);
if (!how || !stateDir || !http || !tftp) {
  process.stderr.write('usage: engine-elevation-host.ts <stdio|socket|pkexec|pkexec-deb> <stateDir> <httpPort> <tftpPort> [root]\n');
  process.exit(2);
}
const engine = defaultEngineCommand();
const plan: EngineLaunchPlan =
  how === 'pkexec'
    ? pkexecLaunch(engine)
    : how === 'pkexec-deb'
      ? pkexecLaunch(engine, { debWrapper: DEB_ENGINE_WRAPPER })
      : plainLaunch(engine, how === 'socket' ? 'socket' : 'stdio');
const host = new EngineHost(plan);
try {
  const ready = await host.start({ interface: 'lo', dhcpMode: 'off', isos: [], allow: [], stateDir, httpPort: Number(http), tftpPort: Number(tftp), ftp: false, ...(root ? { root } : {}) });
  reportAndIdle({ hostPid: process.pid, hostUid: process.getuid?.(), childPid: host.pid, enginePid: host.enginePid, privileged: host.privileged, transport: host.transport, serverIp: ready.serverIp });
} catch (err) {
  process.stdout.write(JSON.stringify({ error: toErrorInfo(err) }) + '\n');
  await host.dispose().catch(() => {});
  process.exit(1);
}
