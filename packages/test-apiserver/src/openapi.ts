/**
 * `/openapi/v2`: a minimal OpenAPI v2 document with no definitions. kubectl downloads it before `apply` to validate on
 * the client; a kind the document does not define is not validated there, so validation happens here, on the server,
 * with the kinds' real schemas (422 with causes). kubectl asks for the gnostic protobuf encoding
 * (`openapi_v2.Document`); the few fields are encoded by hand: swagger (1), info (2: title 1, version 2), paths (8),
 * definitions (9). `/openapi/v3` is not served (404), which makes kubectl fall back to v2.
 */
/** The Content-Type the real server answers with (kubectl's Accept spells it with an "@", which Go's mime parser refuses in a reply). */
export const OPENAPI_V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const TITLE = 'sluice-test-apiserver';
const VERSION = 'v1.32.0';

export function openApiV2(accept: string | undefined): { contentType: string; body: Buffer } {
  if (accept?.includes('protobuf')) {
    const info = Buffer.concat([field(1, Buffer.from(TITLE)), field(2, Buffer.from(VERSION))]);
    const body = Buffer.concat([field(1, Buffer.from('2.0')), field(2, info), field(8, Buffer.alloc(0)), field(9, Buffer.alloc(0))]);
    return { contentType: OPENAPI_V2_PROTOBUF_TYPE, body };
  }
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify({ swagger: '2.0', info: { title: TITLE, version: VERSION }, paths: {}, definitions: {} })) };
}

/** A length-delimited protobuf field (wire type 2); every field here is shorter than 128 bytes. */
function field(number: number, bytes: Buffer): Buffer {
  if (bytes.length >= 128) throw new Error('openapi: field too long for the one-byte length encoding');
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}
