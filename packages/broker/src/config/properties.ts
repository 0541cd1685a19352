// The one .properties reader lives in @samsa/protocol (I/O-free) so broker, CLI and Connect share it.
export { parseProperties, PropertiesSyntaxError } from '@samsa/protocol/properties';
