// Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary), with
// every id resolved ahead of the hot path: encode is synchronous and makes no registry
// call; decode calls the registry once per unseen writer id and caches the resolver, and
// decodeCached() decodes synchronously once it is cached (no promise per message).
import { Type } from 'avsc';
import { PoisonMessageError, UnavailableError, OrderflowError } from './errors';
import { EVENT_NAMESPACE, EVENT_NAMES, type EventName } from './topics';
import { avroViolations, refuseInvalid } from './encode-refusal';
import { UNION_INDEX, directReader, resolvingReader, unionReader, type Reader } from './avro-readers';
import { avroDecodedValidatorFor, type Validator } from './validation';

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** Looks up a writer's schema by its registry id. */
export interface SchemaSource {
  /**
   * The schema (JSON, or an avsc Type already parsed with orderflow's logical types, as the
   * registry client gives it), or undefined when the registry does not know the id.
   */
  schemaById(id: number): Promise<object | Type | undefined>;
}

export interface DecodedEvent<P = unknown> {
  type: EventName;
  schemaId: number;
  payload: P;
}

export interface CodecOptions {
  source: SchemaSource;
  /** Builds an avsc Type from schema JSON (with orderflow's logical types). */
  parse: (schema: object) => Type;
  /** The schemas this process reads with: event name → reader schema JSON. */
  readerSchemas: ReadonlyMap<EventName, object>;
  /**
   * The JSON Schemas payloads must satisfy, per event (default: `schemas/<Event>.json`). A
   * process reading with another version of a contract than the repository's passes that
   * version's, as the rolling-upgrade rehearsal does.
   */
  contracts?: ReadonlyMap<EventName, object>;
  /** Ids registered for the events this process writes. */
  writerIds: ReadonlyMap<EventName, number>;
  /**
   * Under TopicNameStrategy the writer id is the topic's union: each event's branch index in
   * it, written between the header and the record.
   */
  writerBranches?: ReadonlyMap<EventName, number>;
  /** Told, per decoded message, whether its writer schema was already cached. */
  onSchemaLookup?: (cached: boolean) => void;
}

export class EventCodec {
  private readonly readerTypes = new Map<EventName, Type>();
  private readonly readers = new Map<number, Promise<Reader>>();
  /** Readers whose load has finished: the synchronous path. */
  private readonly ready = new Map<number, Reader>();
  /** Scratch space encode() writes into before copying out exactly the bytes it needs. */
  private scratch = Buffer.alloc(64 * 1024);
  private readonly writers = new Map<EventName, { id: number; type: Type; header: Buffer }>();
  /** Encoded and decoded values need only what Avro does not already check. */
  private readonly beyondAvro = new Map<EventName, Validator<unknown>>();

  constructor(private readonly options: CodecOptions) {
    for (const [event, schema] of options.readerSchemas) {
      this.readerTypes.set(event, options.parse(schema));
      const contract = options.contracts?.get(event);
      this.beyondAvro.set(event, avroDecodedValidatorFor(contract ?? `${event}.json`));
    }
    for (const [event, id] of options.writerIds) {
      const type = this.readerTypes.get(event);
      if (!type) throw new Error(`no schema for ${event}`);
      const branch = options.writerBranches?.get(event);
      const prefix = Buffer.alloc(HEADER_BYTES);
      prefix.writeUInt8(MAGIC_BYTE, 0);
      prefix.writeInt32BE(id, 1);
      const header = branch === undefined ? prefix : Buffer.concat([prefix, UNION_INDEX.toBuffer(branch)]);
      this.writers.set(event, { id, type, header });
      // A writer's own record id always decodes with its own schema: no registry call needed.
      if (branch !== undefined) continue;
      const reader = directReader(event, type);
      this.readers.set(id, Promise.resolve(reader));
      this.ready.set(id, reader);
    }
  }

  /**
   * Encodes a payload that must satisfy its event's contract. Synchronous, no I/O. Writing the
   * Avro record checks every field's type, enum symbol and presence (avsc throws on a value
   * its schema does not take), so only what Avro cannot express is checked beforehand, as on
   * decode: formats, patterns, lengths and ranges. Fields the record does not declare are
   * not written. HTTP input is not this path: it keeps its full JSON Schema validation.
   */
  encode(event: EventName, payload: unknown): Buffer {
    const writer = this.writers.get(event);
    if (!writer) throw new OrderflowError(`this process does not produce ${event}`);
    const contract = this.beyondAvro.get(event)!;
    if (!contract(payload)) refuseInvalid(event, contract.check(payload));
    // Straight into the scratch buffer after the header, then one copy of exactly that length.
    const start = writer.header.length;
    let end: number;
    try {
      end = writer.type.encode(payload, this.scratch, start);
      while (end < 0) {
        this.scratch = Buffer.alloc(this.scratch.length * 2 - end); // -end bytes were missing
        end = writer.type.encode(payload, this.scratch, start);
      }
    } catch (e) {
      refuseInvalid(event, avroViolations(writer.type, payload));
      throw e; // avsc refused a value its own check accepts: not a contract violation to name
    }
    const out = Buffer.allocUnsafe(end);
    writer.header.copy(out, 0);
    this.scratch.copy(out, start, start, end);
    return out;
  }

  schemaIdOf(event: EventName): number | undefined {
    return this.writers.get(event)?.id;
  }

  /** Decodes a message, asking the registry first if its writer schema id is new. */
  async decode<P = unknown>(message: Buffer | null): Promise<DecodedEvent<P>> {
    const cached = this.decodeCached<P>(message);
    if (cached) return cached;
    const schemaId = schemaIdOf(message);
    return this.read<P>(schemaId, await this.readerFor(schemaId), message!);
  }

  /**
   * Decodes synchronously when the writer schema id is already cached; undefined when it is
   * not (then call decode()). Throws PoisonMessageError for bytes that can never decode.
   */
  decodeCached<P = unknown>(message: Buffer | null): DecodedEvent<P> | undefined {
    const schemaId = schemaIdOf(message);
    const reader = this.ready.get(schemaId);
    if (!reader) return undefined;
    this.options.onSchemaLookup?.(true);
    return this.read<P>(schemaId, reader, message!);
  }

  private read<P>(schemaId: number, reader: Reader, message: Buffer): DecodedEvent<P> {
    let decoded: DecodedEvent<P>;
    try {
      decoded = reader.decode(message, HEADER_BYTES, schemaId) as DecodedEvent<P>;
    } catch (e) {
      if (e instanceof PoisonMessageError) throw e;
      throw new PoisonMessageError(
        'UNDECODABLE',
        `${reader.label} with schema id ${schemaId} does not decode: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const contract = this.beyondAvro.get(decoded.type)!;
    if (!contract(decoded.payload)) {
      const violations = contract.check(decoded.payload);
      const list = violations.map((v) => `${v.path || '/'} ${v.message}`).join('; ');
      throw new PoisonMessageError('INVALID_EVENT', `${decoded.type} breaks its contract: ${list}`, {
        details: violations,
      });
    }
    return decoded;
  }

  private readerFor(id: number): Promise<Reader> {
    let reader = this.readers.get(id);
    this.options.onSchemaLookup?.(reader !== undefined);
    if (!reader) {
      reader = this.loadReader(id);
      this.readers.set(id, reader);
      // Only definite answers are cached; a registry outage must be retried later.
      reader.catch((e) => {
        if (!(e instanceof PoisonMessageError) || e.code === 'UNKNOWN_SCHEMA_ID') this.readers.delete(id);
      });
      reader.then(
        (r) => this.ready.set(id, r),
        () => undefined,
      );
    }
    return reader;
  }

  private async loadReader(id: number): Promise<Reader> {
    let schema: object | Type | undefined;
    try {
      schema = await this.options.source.schemaById(id);
    } catch (e) {
      throw new UnavailableError(`schema registry unreachable while looking up schema id ${id}`, {
        cause: e,
      });
    }
    if (schema === undefined)
      throw new PoisonMessageError('UNKNOWN_SCHEMA_ID', `the registry knows no schema with id ${id}`);
    let writer: Type;
    try {
      writer = Type.isType(schema) ? (schema as Type) : this.options.parse(schema);
    } catch (e) {
      throw new PoisonMessageError(
        'UNKNOWN_RECORD_TYPE',
        `schema id ${id} is not an Avro schema: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (Type.isType(writer, 'union')) return this.unionReader(id, writer as Type & { types: Type[] });
    return this.recordReader(id, writer);
  }

  /** A record writer, resolved once into the reader schema of the same event. */
  private recordReader(id: number, writer: Type): Reader {
    const event = eventOfRecordName(writer.name);
    const readerType = event && this.readerTypes.get(event);
    if (!event || !readerType) {
      throw new PoisonMessageError(
        'UNKNOWN_RECORD_TYPE',
        `schema id ${id} is ${writer.name ?? 'an unnamed schema'}, not an event this service reads`,
      );
    }
    if (writer.equals(readerType)) return directReader(event, readerType);
    let resolver: ReturnType<Type['createResolver']>;
    try {
      resolver = readerType.createResolver(writer);
    } catch (e) {
      throw new PoisonMessageError(
        'UNDECODABLE',
        `schema id ${id} cannot be read as the current ${event}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    return resolvingReader(event, readerType, resolver);
  }

  /**
   * A union writer (TopicNameStrategy's `<topic>-value`): each message names its branch first.
   * Branches this process reads are resolved once; a message on another branch is poison.
   */
  private unionReader(id: number, union: Type & { types: Type[] }): Reader {
    const branches = union.types.map((branch) => {
      try {
        return this.recordReader(id, branch);
      } catch (e) {
        return e as PoisonMessageError;
      }
    });
    return unionReader(`union schema id ${id}`, branches);
  }
}

function schemaIdOf(message: Buffer | null): number {
  if (!message || message.length < HEADER_BYTES || message[0] !== MAGIC_BYTE) {
    throw new PoisonMessageError(
      'NOT_AVRO',
      'message does not start with the Confluent magic byte and a schema id',
    );
  }
  // readInt32BE(1), without its argument checks: the length is known here.
  return (message[1]! << 24) | (message[2]! << 16) | (message[3]! << 8) | message[4]!;
}

function eventOfRecordName(name: string | undefined): EventName | undefined {
  const prefix = `${EVENT_NAMESPACE}.`;
  if (!name?.startsWith(prefix)) return undefined;
  const event = name.slice(prefix.length);
  return (EVENT_NAMES as readonly string[]).includes(event) ? (event as EventName) : undefined;
}
