/**
 * The npm protobuf libraries raftwire's hand-written codec is measured against (devDependencies,
 * never loaded by raftwire itself): protobufjs (reflection, which compiles encoders at run time)
 * and @bufbuild/protobuf (protobuf-es v2, from a descriptor built here, which is what its generated
 * code embeds). Both get the raftpb schema for MsgApp's fields: Message 1–8 and 10–12, Entry 1–4
 * (Message.snapshot, field 9, is left out: gogo writes it empty on every message, these libraries
 * would not). Enums are declared int32 (the same varint on the wire).
 */
import { create, createFileRegistry, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import type { Message } from '../../src/raftpb/index.js';

/** Encodes and decodes one MsgApp with a library; `decode` returns the entry count. */
export interface LibraryCodec {
  name: string;
  encode(): Uint8Array;
  decode(bytes: Uint8Array): number;
}

const ENTRY_FIELDS = [
  ['Type', 1, 'int32'],
  ['Term', 2, 'uint64'],
  ['Index', 3, 'uint64'],
  ['Data', 4, 'bytes'],
] as const;
const MESSAGE_FIELDS = [
  ['type', 1, 'int32'],
  ['to', 2, 'uint64'],
  ['from', 3, 'uint64'],
  ['term', 4, 'uint64'],
  ['logTerm', 5, 'uint64'],
  ['index', 6, 'uint64'],
  ['entries', 7, 'Entry'],
  ['commit', 8, 'uint64'],
  ['reject', 10, 'bool'],
  ['rejectHint', 11, 'uint64'],
  ['context', 12, 'bytes'],
] as const;

/** protobufjs from proto text; 64-bit values as Long, as protobufjs wants them (a bigint encodes as 0). */
export function protobufjsCodec(m: Message): LibraryCodec {
  const field = ([name, no, type]: readonly [string, number, string]) =>
    `${name === 'entries' ? 'repeated' : 'optional'} ${type} ${name} = ${no};`;
  const text = `syntax = "proto2"; package raftpb;
    message Entry { ${ENTRY_FIELDS.map(field).join(' ')} }
    message Message { ${MESSAGE_FIELDS.map(field).join(' ')} }`;
  const root = protobuf.parse(text, { keepCase: true }).root;
  const T = root.lookupType('raftpb.Message');
  const Long = protobuf.util.Long as unknown as { fromString(s: string, unsigned: boolean): unknown };
  const long = (v: bigint | number) => Long.fromString(v.toString(), true);
  const value = {
    type: m.type,
    to: long(m.to),
    from: long(m.from),
    term: long(m.term),
    logTerm: long(m.logTerm),
    index: long(m.index),
    entries: m.entries.map((e) => ({ Type: e.type, Term: long(e.term), Index: long(e.index), Data: e.data })),
    commit: long(m.commit),
    reject: m.reject,
    rejectHint: long(m.rejectHint),
  };
  const msg = T.fromObject(value);
  return {
    name: 'protobufjs',
    encode: () => T.encode(msg).finish(),
    decode: (bytes) => (T.decode(bytes) as unknown as { entries: unknown[] }).entries.length,
  };
}

/** @bufbuild/protobuf (protobuf-es) from a FileDescriptorProto; 64-bit values as bigint. */
export function protobufEsCodec(m: Message): LibraryCodec {
  const TYPE = { int32: 5, uint64: 4, bool: 8, bytes: 12, Entry: 11 } as const;
  const field = ([name, no, type]: readonly [string, number, keyof typeof TYPE]) => ({
    name,
    number: no,
    jsonName: name,
    label: name === 'entries' ? 3 : 1,
    type: TYPE[type],
    ...(type === 'Entry' ? { typeName: '.raftpb.Entry' } : {}),
  });
  const file = create(FileDescriptorProtoSchema, {
    name: 'raft.proto',
    package: 'raftpb',
    syntax: 'proto2',
    messageType: [
      { name: 'Entry', field: ENTRY_FIELDS.map(field) },
      { name: 'Message', field: MESSAGE_FIELDS.map(field) },
    ],
  });
  const schema = createFileRegistry(file, () => undefined).getMessage('raftpb.Message') as DescMessage;
  const entry = createFileRegistry(file, () => undefined).getMessage('raftpb.Entry') as DescMessage;
  const msg = create(schema, {
    type: m.type,
    to: m.to,
    from: m.from,
    term: BigInt(m.term),
    logTerm: BigInt(m.logTerm),
    index: BigInt(m.index),
    entries: m.entries.map((e) =>
      create(entry, { Type: e.type, Term: BigInt(e.term), Index: BigInt(e.index), Data: e.data }),
    ),
    commit: BigInt(m.commit),
    reject: m.reject,
    rejectHint: BigInt(m.rejectHint),
  } as never);
  return {
    name: 'protobuf-es',
    encode: () => toBinary(schema, msg),
    decode: (bytes) => (fromBinary(schema, bytes) as unknown as { entries: unknown[] }).entries.length,
  };
}
