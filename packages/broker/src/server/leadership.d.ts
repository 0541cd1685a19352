import type { MetadataImage } from '../metadata/image.js';
export declare function unhostedPartitionError(image: MetadataImage, topic: string, partition: number): number;
