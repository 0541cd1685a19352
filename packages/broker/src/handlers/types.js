/** Returned by a handler for requests that get no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');
//# sourceMappingURL=types.js.map