export { Broker, CLEAN_SHUTDOWN_FILE, type BrokerOptions } from './broker.js';
export * from './config/index.js';
export * from './metadata/index.js';
export { handlers, NO_RESPONSE, type ApiHandler, type BrokerServices, type RequestContext, type PartitionAppendHook } from './handlers/index.js';
export { requestChannel, type RequestEvent } from './server/request-router.js';
export { mapError } from './server/error-mapping.js';
export { FakeClock, SystemClock, systemClock, type Clock, type TimerHandle } from './util/clock.js';
export { createLogger, Logger, type LogLevel, type LogSink } from './util/log.js';
export { DirLock, KafkaException, LOCK_FILE, lockHolderPid } from './util/dir-lock.js';
