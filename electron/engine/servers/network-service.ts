/**
 * What every server in a session looks like to the session: start (bind everything or throw a
 * FieldbootError), stop (release everything), and the addresses it listens on.
 * Servers report through `emit` (EngineEvent) and a LogSink; they never print.
 */
import type { EngineEvent, ServiceInfo } from '../../../shared/model/engine-event';
import type { LogSink } from '../log';

export interface NetworkService {
  start(): Promise<void>;
  stop(): Promise<void>;
  services(): ServiceInfo[];
}

export interface ServiceContext {
  emit: (event: EngineEvent) => void;
  logSink: LogSink;
}
