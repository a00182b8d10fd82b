/** Supervision trees, links and monitors with OTP semantics; see docs/supervision.md. */
export type { ChildHandle, ChildId, ChildSpec, ChildType, RestartType, ShutdownPolicy, StartResult } from './child.js';
export type { Strategy, SupervisorSpec } from './child-spec.js';
export { systemClock, type Clock, type Timer } from './clock.js';
export { ProcessError, SupervisorError, type ProcessErrorCode, type SupervisorErrorCode } from './errors.js';
export { formatExitReason, isCleanExit, plainExitReason, type ExitReason } from './exit-reason.js';
export {
  ProcessHandle,
  ProcessTable,
  type MonitorRef,
  type Pid,
  type ProcessBehaviour,
  type ProcessMessage,
  type SpawnOptions,
} from './process-table.js';
export {
  Supervisor,
  supervisorChildSpec,
  type ChildCounts,
  type ChildInfo,
  type SupervisorOptions,
  type SupervisorReport,
} from './supervisor.js';
