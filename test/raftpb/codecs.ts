/** Every raftpb type with its encoder, decoder, size function and JSON form, by name. */
import * as pb from '../../src/raftpb/index.js';
import * as J from './json-form.js';

export interface Codec {
  encode(v: never): Uint8Array;
  decode(b: Uint8Array): unknown;
  size(v: never): number;
  toJson(v: never): J.Json;
  fromJson(j: J.Json): unknown;
}

export const codecs: Record<string, Codec> = {
  Message: {
    encode: pb.encodeMessage,
    decode: pb.decodeMessage,
    size: pb.messageSize,
    toJson: J.messageToJson,
    fromJson: J.messageFromJson,
  },
  Entry: {
    encode: pb.encodeEntry,
    decode: pb.decodeEntry,
    size: pb.entrySize,
    toJson: J.entryToJson,
    fromJson: J.entryFromJson,
  },
  HardState: {
    encode: pb.encodeHardState,
    decode: pb.decodeHardState,
    size: pb.hardStateSize,
    toJson: J.hardStateToJson,
    fromJson: J.hardStateFromJson,
  },
  ConfState: {
    encode: pb.encodeConfState,
    decode: pb.decodeConfState,
    size: pb.confStateSize,
    toJson: J.confStateToJson,
    fromJson: J.confStateFromJson,
  },
  SnapshotMetadata: {
    encode: pb.encodeSnapshotMetadata,
    decode: pb.decodeSnapshotMetadata,
    size: pb.snapshotMetadataSize,
    toJson: J.metadataToJson,
    fromJson: J.metadataFromJson,
  },
  Snapshot: {
    encode: pb.encodeSnapshot,
    decode: pb.decodeSnapshot,
    size: pb.snapshotSize,
    toJson: J.snapshotToJson,
    fromJson: J.snapshotFromJson,
  },
  ConfChange: {
    encode: pb.encodeConfChange,
    decode: pb.decodeConfChange,
    size: pb.confChangeSize,
    toJson: J.confChangeToJson,
    fromJson: J.confChangeFromJson,
  },
  ConfChangeSingle: {
    encode: pb.encodeConfChangeSingle,
    decode: pb.decodeConfChangeSingle,
    size: pb.confChangeSingleSize,
    toJson: J.confChangeSingleToJson,
    fromJson: J.confChangeSingleFromJson,
  },
  ConfChangeV2: {
    encode: pb.encodeConfChangeV2,
    decode: pb.decodeConfChangeV2,
    size: pb.confChangeV2Size,
    toJson: J.confChangeV2ToJson,
    fromJson: J.confChangeV2FromJson,
  },
};

export function codec(type: string): Codec {
  const c = codecs[type];
  if (c === undefined) throw new Error(`no codec for ${type}`);
  return c;
}
