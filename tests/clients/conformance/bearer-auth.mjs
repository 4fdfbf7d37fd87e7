// Node.js preload (`node --import ./bearer-auth.mjs …`) that adds `Authorization: Bearer
// $MDM_CONFORMANCE_TOKEN` to every HTTP request the conformance suite sends to the origin of
// $MDM_CONFORMANCE_URL, unless the request already carries an Authorization header.
//
// The conformance CLI (@modelcontextprotocol/conformance 0.1.16 and 0.2.0-alpha.12) has no
// option or environment variable for request headers, and the server under test accepts no
// unauthenticated MCP request. The suite sends requests three ways, and each is covered here:
// the SDK client transport uses global fetch, raw probes use the `undici` package's request(),
// and the header-validation scenarios use node:http. The first two share undici's global
// dispatcher, which gets an interceptor; node:http's request() is wrapped. Host and Origin
// headers are left as the scenarios set them.

import http from 'node:http';
import { createRequire } from 'node:module';

const token = process.env.MDM_CONFORMANCE_TOKEN;
const serverUrl = process.env.MDM_CONFORMANCE_URL;
if (!token || !serverUrl) {
  throw new Error('bearer-auth.mjs: set MDM_CONFORMANCE_TOKEN (an sk-md- access token) and MDM_CONFORMANCE_URL (the /mcp URL under test)');
}
const target = new URL(serverUrl);
const authorization = `Bearer ${token}`;

/** Returns `headers` with the Authorization header added, in the shape it came in. */
function withAuthorization(headers) {
  if (headers == null) return { authorization };
  if (Array.isArray(headers)) {
    // undici's flat form: [name, value, name, value, …].
    for (let index = 0; index < headers.length; index += 2) {
      if (String(headers[index]).toLowerCase() === 'authorization') return headers;
    }
    return [...headers, 'authorization', authorization];
  }
  if (typeof headers[Symbol.iterator] === 'function') {
    return withAuthorization(Object.fromEntries(headers));
  }
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
  return { ...headers, authorization };
}

// Resolve undici from the conformance package that runs (process.argv[1] is its dist/index.js),
// so that the preload needs no copy of its own.
const { Agent, setGlobalDispatcher } = createRequire(process.argv[1])('undici');
setGlobalDispatcher(
  new Agent().compose((dispatch) => (options, handler) => {
    const origin = new URL(String(options.origin)).origin;
    const authorized = origin === target.origin ? { ...options, headers: withAuthorization(options.headers) } : options;
    return dispatch(authorized, handler);
  }),
);

const originalRequest = http.request;
http.request = function requestWithAuthorization(...args) {
  // The forms are request(options[, callback]) and request(url[, options][, callback]).
  const [first, second] = args;
  const urlGiven = typeof first === 'string' || first instanceof URL;
  let url;
  let optionsIndex = 0;
  let options = first;
  if (urlGiven) {
    url = new URL(first);
    optionsIndex = 1;
    options = second !== null && typeof second === 'object' ? second : undefined;
  }

  const hostname = options?.hostname ?? options?.host?.split(':')[0] ?? url?.hostname;
  const port = String(options?.port ?? url?.port ?? '80');
  if (hostname === target.hostname && port === target.port) {
    const authorized = { ...options, headers: withAuthorization(options?.headers) };
    if (options === undefined) args.splice(optionsIndex, 0, authorized);
    else args[optionsIndex] = authorized;
  }
  return originalRequest.apply(this, args);
};
