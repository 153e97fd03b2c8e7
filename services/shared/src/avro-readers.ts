// How the codec reads the Avro body of one writer schema id: a record as it was written, a record
// resolved into this process's reader schema, or (TopicNameStrategy) a union naming its branch.
// Each reads from an offset into the whole message, so no Buffer view is made per message.
import { Type } from 'avsc';
import type { EventName } from './topics';

/** Decodes the Avro body of one writer schema id: a record, or a union of them. */
export interface Reader {
  /** What the writer schema is, for messages. */
  label: string;
  /** Decodes the Avro body that starts at `offset` and ends with the message. */
  decode(message: Buffer, offset: number, schemaId: number): Decoded;
}

/** What the codec answers for a message: one object, made once per message. */
export interface Decoded {
  type: EventName;
  schemaId: number;
  payload: unknown;
}

/** A union's branch index: Avro writes it as a zig-zag varint long before the branch's value. */
export const UNION_INDEX = Type.forSchema('long');

type Resolver = ReturnType<Type['createResolver']>;

/** A record written with the reader's own schema. */
export function directReader(type: EventName, avro: Type): Reader {
  return {
    label: type,
    decode: (message, offset, schemaId) => ({ type, schemaId, payload: readToEnd(avro, message, offset) }),
  };
}

/** A record written with another version of the event's schema, resolved once. */
export function resolvingReader(type: EventName, avro: Type, resolver: Resolver): Reader {
  return {
    label: type,
    decode: (message, offset, schemaId) => ({
      type,
      schemaId,
      payload: readToEnd(avro, message, offset, resolver),
    }),
  };
}

/** A union: each message names its branch first; a branch this process cannot read is an error. */
export function unionReader(label: string, branches: (Reader | Error)[]): Reader {
  return {
    label,
    decode: (message, offset, schemaId) => {
      const { value: index, offset: next } = UNION_INDEX.decode(message, offset) as {
        value: number;
        offset: number;
      };
      if (next < 0) throw new Error('truncated buffer');
      const branch = branches[index];
      if (branch === undefined) throw new Error(`union branch ${index} is out of range`);
      if (branch instanceof Error) throw branch;
      return branch.decode(message, next, schemaId);
    },
  };
}

/** What Type.fromBuffer() answers for the bytes from `offset` to the end, and with its errors. */
function readToEnd(type: Type, message: Buffer, offset: number, resolver?: Resolver): unknown {
  const { value, offset: end } = type.decode(message, offset, resolver);
  if (end < 0) throw new Error('truncated buffer');
  if (end < message.length) throw new Error('trailing data');
  return value;
}
