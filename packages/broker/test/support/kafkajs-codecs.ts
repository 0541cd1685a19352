/**
 * kafkajs ships gzip only. Snappy comes from kafkajs-snappy (pure JS, raw snappy like the
 * kafkajs ecosystem uses). The usual LZ4 and zstd plugins (kafkajs-lz4 over `lz4`,
 * @kafkajs/zstd over `cppzst`) need native builds that cannot install here, so those two codecs
 * are plugged in over @samsa/protocol's codecs (LZ4 frame format, plain zstd frames): the same
 * wire formats those plugins write.
 */
import { createRequire } from 'node:module';
import { CompressionTypes } from 'kafkajs';
import { CompressionType, compress, decompress } from '@samsa/protocol/records';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}

function adapter(type: CompressionType) {
  return () => ({
    async compress(encoder: KafkajsEncoder): Promise<Buffer> {
      return compress(type, encoder.buffer);
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return decompress(type, buffer);
    },
  });
}

let registered = false;

export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  const SnappyCodec = require('kafkajs-snappy') as () => unknown;
  // Not a named export the ESM loader can see (kafkajs is CommonJS).
  const codecs = (require('kafkajs') as { CompressionCodecs: Record<number, () => unknown> }).CompressionCodecs;
  codecs[CompressionTypes.Snappy] = SnappyCodec;
  codecs[CompressionTypes.LZ4] = adapter(CompressionType.Lz4);
  codecs[CompressionTypes.ZSTD] = adapter(CompressionType.Zstd);
}
