/**
 * The engine takes a log sink; it never picks one. Each subsystem gets a tagged Log; MAC scoping is per call.
 */
import type { LogLevel, Subsystem } from '../../shared/model/engine-event';

export interface LogEntry {
  level: LogLevel;
  subsystem: Subsystem;
  message: string;
  mac?: string;
  fields?: Record<string, unknown>;
}
export type LogSink = (entry: LogEntry) => void;

export interface Log {
  debug(message: string, extra?: LogExtra): void;
  info(message: string, extra?: LogExtra): void;
  warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
}
export interface LogExtra {
  mac?: string;
  fields?: Record<string, unknown>;
}

export function createLog(sink: LogSink, subsystem: Subsystem): Log {
  const at = (level: LogLevel) => (message: string, extra?: LogExtra) =>
    sink({ level, subsystem, message, ...(extra?.mac ? { mac: extra.mac } : {}), ...(extra?.fields ? { fields: extra.fields } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A sink that drops everything (tests, benchmarks). */
export const NULL_SINK: LogSink = () => {};
