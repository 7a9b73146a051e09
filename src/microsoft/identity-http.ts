import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { request, type Dispatcher } from 'undici';

/**
 * @azure/identity's requests (tokens, authority discovery, managed identity endpoints) sent through
 * the APIs' undici dispatcher, so one proxy and one CA decision covers every Microsoft call. The
 * library's own proxy support drops a custom CA when a proxy is set, and reads NO_PROXY
 * differently from undici.
 */
export function identityHttpClient(dispatcher: Dispatcher): HttpClient {
  return {
    async sendRequest(pipelineRequest: PipelineRequest): Promise<PipelineResponse> {
      const headers: Record<string, string> = {};
      // undici does not decompress: ask for the body as is.
      for (const [name, value] of pipelineRequest.headers)
        if (name !== 'accept-encoding') headers[name] = value;
      const timeout = pipelineRequest.timeout > 0 ? pipelineRequest.timeout : undefined;
      try {
        const response = await request(pipelineRequest.url, {
          method: pipelineRequest.method,
          headers,
          body: requestBody(pipelineRequest),
          dispatcher,
          signal: pipelineRequest.abortSignal,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        const responseHeaders = createHttpHeaders();
        for (const [name, value] of Object.entries(response.headers))
          if (value !== undefined)
            responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        return {
          request: pipelineRequest,
          status: response.statusCode,
          headers: responseHeaders,
          bodyAsText: await response.body.text(),
        };
      } catch (err) {
        if (pipelineRequest.abortSignal?.aborted) throw err;
        // The SDK's retry policies recognise transport failures by the system error code.
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new RestError(cause?.message ?? (err as Error).message, {
          code: cause?.code ?? (err as { code?: string }).code,
          request: pipelineRequest,
        });
      }
    },
  };
}

/** The identity library sends form-encoded strings; anything else would be a new use. */
function requestBody(pipelineRequest: PipelineRequest): string | undefined {
  const { body } = pipelineRequest;
  if (body === undefined || typeof body === 'string') return body;
  throw new Error(
    `identity request to ${new URL(pipelineRequest.url).host}: unsupported body type`,
  );
}
