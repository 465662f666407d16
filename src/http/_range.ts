/**
 * Byte ranges (RFC 9110 section 14) answered from a stored complete
 * response: one range per request; several, a malformed one or one past the
 * end get the whole body, as RFC 9110 section 14.2 lets a recipient ignore
 * `Range`.
 *
 * @module
 */

/**
 * The one byte range `header` asks for in a body of `size` bytes, as
 * `[start, end)`; `undefined` when there is none to answer (no header,
 * several ranges, malformed, or nothing of it inside the body).
 */
export function byteRange(header: string | null, size: number): [number, number] | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number, end: number;
  if (m[1] === "") {
    // A suffix: the last n bytes (all of them when n passes the size).
    start = Math.max(0, size - Number(m[2]));
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  return start < end ? [start, end] : undefined;
}

/**
 * Bytes `[start, end)` of a body: a view of bytes in memory, or a stream that
 * reads its source up to `end` and then cancels it (a small range of a large
 * file reads no further than the range).
 */
export function sliceBody(
  body: Uint8Array | ReadableStream<Uint8Array>,
  start: number,
  end: number,
): Uint8Array | ReadableStream<Uint8Array> {
  if (body instanceof Uint8Array) return body.subarray(start, end);
  const reader = body.getReader();
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (at >= end) {
          controller.close();
          await reader.cancel();
          return;
        }
        // The file holds the size its row says (getStream checked), so the
        // source does not end before `end`.
        const chunk = (await reader.read()).value!;
        const from = at;
        at += chunk.byteLength;
        const s = Math.max(0, start - from), e = Math.min(chunk.byteLength, end - from);
        if (s < e) {
          controller.enqueue(chunk.subarray(s, e));
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
