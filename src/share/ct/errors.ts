/**
 * The one error type thrown by the CT and certificate decoders. Callers that
 * handle log data from outside catch exactly this and record the entry as
 * malformed; anything else escaping a decoder is a bug.
 */
export class CtDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CtDecodeError';
  }
}
