// @samsa/streams: Kafka Streams' model (DSL, Processor API, state stores, runtime) on @samsa/client.
export { StreamsBuilder, KStream, KTable, KGroupedStream, KGroupedTable, TimeWindowedKStream, SessionWindowedKStream, BranchedKStream, Suppressed, Consumed, Produced, Grouped, Materialized, type Change, type Repartitioned, type Branched } from './dsl.js';
export { Topology, TopologyException, type Subtopology, type StreamPartitioner, type TopicNameExtractor } from './topology.js';
export { PunctuationType, type Processor, type ProcessorContext, type ProcessorSupplier, type StreamRecord, type Cancellable } from './processor.js';
export { Serdes, serdeByClassName, timeWindowedSerde, sessionWindowedSerde, SerializationError, type Serde, type Windowed } from './serdes.js';
export { Stores, KeyValueStore, WindowStore, SessionStore, ReadOnlyStore, type StateStore, type StoreBuilder, type StoreType } from './state/stores.js';
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows } from './windows.js';
export { KafkaStreams, MissingSourceTopicException, type StreamsState } from './kafka-streams.js';
export { streamsConfig, StreamsConfigError, type StreamsConfig, type StreamsProperties } from './config.js';
export { TopologyTestDriver, TestInputTopic, TestOutputTopic, type TestRecord } from './test-driver.js';
export { wordCountTopology, wordCountProperties, runWordCountDemo, INPUT_TOPIC, OUTPUT_TOPIC } from './wordcount.js';
