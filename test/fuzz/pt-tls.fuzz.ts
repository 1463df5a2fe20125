/**
 * Fuzz targets for PT-TLS (RFC 6876): the message decoder, the stream framer fed arbitrary chunkings, and the
 * protocol logic of both roles fed arbitrary message streams over an in-memory channel (no TLS). Only declared
 * errors (AttestdError) may escape.
 */
import { concat, utf8 } from '../../src/common/bytes.ts';
import {
  PtTlsFramer,
  decodePtTlsMessage,
  encodePtTlsMessage,
  runPtTlsClient,
  runPtTlsServer,
} from '../../src/tnc/pt-tls/index.ts';
import type { BatchEndpoint, PtTlsChannel } from '../../src/tnc/pt-tls/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { TRACE_FILES, readTrace } from '../unit/tnc/pt-tls/traces.ts';

/** strongSwan's messages of each trace (what a server receives), one array per session. */
function traceStreams(): Uint8Array[][] {
  return TRACE_FILES.map((f) => readTrace(f).events.flatMap((e) => (e.from === 'strongswan' ? [e.raw] : [])));
}

function sampleMessages(): Uint8Array[] {
  return [
    encodePtTlsMessage(0, { kind: 'VersionRequest', min: 1, max: 1, preferred: 1 }),
    encodePtTlsMessage(1, { kind: 'SaslMechanisms', mechanisms: ['PLAIN', 'SCRAM-SHA-1'] }),
    encodePtTlsMessage(2, {
      kind: 'SaslMechanismSelection',
      mechanism: 'PLAIN',
      initialData: utf8('\0carol\0Ar3etTnp'),
    }),
    encodePtTlsMessage(3, { kind: 'SaslAuthenticationData', data: utf8('abc') }),
    encodePtTlsMessage(4, { kind: 'SaslResult', result: 1, data: new Uint8Array(0), form: 'octet' }),
    encodePtTlsMessage(5, { kind: 'SaslResult', result: 0, data: utf8('x'), form: 'rfc6876' }),
    encodePtTlsMessage(6, { kind: 'PtTlsError', vendor: 0, code: 3, original: new Uint8Array(16) }),
    encodePtTlsMessage(7, { kind: 'Unknown', vendor: 0x902a, type: 9, value: utf8('?') }),
  ];
}

/** The peer's answers of each trace (what a client receives), as whole PT-TLS messages. */
function peerStreams(): Uint8Array[] {
  return TRACE_FILES.map((f) =>
    concat(
      ...readTrace(f)
        .events.filter((e) => e.from === 'peer')
        .map((e, i) => ('raw' in e ? e.raw : encodePtTlsMessage(0x100 + i, { kind: 'PbTncBatch', batch: e.batch }))),
    ),
  );
}

/** An endpoint that answers every batch with one batch and is done after three. */
function echoEndpoint(): BatchEndpoint {
  let n = 0;
  return {
    receive: (b) => {
      n++;
      return [b.slice(0, 32)];
    },
    done: () => n >= 3,
  };
}

/** A channel that frames `input` like the TLS adapter does, in chunks of 1..37 bytes. */
function streamChannel(input: Uint8Array): PtTlsChannel {
  const framer = new PtTlsFramer({ maxMessageSize: 4096 });
  const ready: Uint8Array[] = [];
  let at = 0;
  let step = 0;
  return {
    async read() {
      for (;;) {
        const m = ready.shift();
        if (m) return m;
        if (at >= input.byteLength) {
          framer.end();
          return null;
        }
        const n = 1 + (((input[at] ?? 0) + step++) % 37);
        ready.push(...framer.push(input.subarray(at, at + n)));
        at += n;
      }
    },
    async write() {},
    async close() {},
  };
}

export const targets: FuzzTarget[] = [
  {
    name: 'message-decoder',
    seeds: () => [...traceStreams().flat(), ...sampleMessages()],
    run(input) {
      const m = decodePtTlsMessage(input);
      encodePtTlsMessage(m.header.identifier, m.value);
    },
  },
  {
    name: 'stream-framer',
    seeds: () => [...traceStreams().map((s) => concat(...s)), concat(...sampleMessages())],
    run(input) {
      const f = new PtTlsFramer({ maxMessageSize: 2048 });
      let at = 0;
      let i = 0;
      while (at < input.byteLength) {
        const n = 1 + ((input[i++ % input.byteLength] ?? 0) % 64);
        for (const m of f.push(input.subarray(at, at + n))) decodePtTlsMessage(m);
        at += n;
      }
      f.end();
    },
  },
  {
    name: 'server-logic',
    seeds: () => [...traceStreams().map((s) => concat(...s)), concat(...sampleMessages())],
    // A failed session is the normal outcome of most inputs; the driver checks that its error is declared.
    async run(input) {
      await runPtTlsServer(streamChannel(input), {
        tlsClient: { verified: false },
        authenticate: (_z, c, p) => c === 'carol' && p === 'Ar3etTnp',
        endpointFor: echoEndpoint,
        maxBatches: 16,
      });
    },
  },
  {
    name: 'client-logic',
    seeds: () => [...peerStreams(), concat(...sampleMessages())],
    async run(input) {
      await runPtTlsClient(streamChannel(input), {
        endpoint: { first: () => utf8('ping'), ...echoEndpoint() },
        credentials: { authcid: 'carol', password: 'Ar3etTnp' },
        maxBatches: 16,
      });
    },
  },
];
