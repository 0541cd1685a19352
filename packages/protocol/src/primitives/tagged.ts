/** A tagged field the decoder did not know, kept as raw bytes so re-encoding preserves it. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

export type TaggedFields = UnknownTaggedField[];
