// @samsa/connect: Kafka Connect as a Node runtime (workers, REST API, file connectors, SMTs, converters).
export * from './api.js';
export * from './data.js';
export { StringConverter, JsonConverter, ByteArrayConverter, SimpleHeaderConverter, asJsonSchema, asConnectSchema, type Converter, type HeaderConverter, type SchemaAndValue } from './converters.js';
export { InsertField, ReplaceField, MaskField, ValueToKey, ExtractField, TimestampRouter, RegexRouter, Filter, TopicNameMatches, HasHeaderKey, RecordIsTombstone, TransformationChain, formatJavaDate, type Side } from './transforms.js';
export { FileStreamSourceConnector, FileStreamSinkConnector, FileStreamSourceTask, FileStreamSinkTask } from './file-connectors.js';
export { Plugins, type PluginDesc } from './plugins.js';
export { parseProperties, loadProperties } from './properties.js';
export { startConnect, main, loadConnectorConfig, type RunningConnect } from './connect.js';
export { encodeWorkerState, decodeWorkerState, encodeAssignment, decodeAssignment, eagerAssign, offeredProtocols, type ConnectAssignment, type WorkerState } from './connect-protocol.js';
export { IncrementalCooperativeAssignor } from './cooperative-assignor.js';
export { buildTransformationChain, buildConverters, validateConnectorConfig } from './connector-config.js';
export { VERSION_STRING } from './version.js';
export { MirrorSourceConnector, MirrorSourceTask } from './mirror/mirror-source-connector.js';
export { MirrorCheckpointConnector, MirrorCheckpointTask } from './mirror/mirror-checkpoint-connector.js';
export { MirrorHeartbeatConnector, MirrorHeartbeatTask } from './mirror/mirror-heartbeat-connector.js';
export { MirrorMaker, MirrorMakerConfig, mirrorMakerMain } from './mirror/mirror-maker.js';
export { DefaultReplicationPolicy, IdentityReplicationPolicy, type ReplicationPolicy } from './mirror/replication-policy.js';
export { CheckpointFormat, HeartbeatFormat, OffsetSyncFormat, type Checkpoint, type Heartbeat, type OffsetSync } from './mirror/mirror-records.js';
