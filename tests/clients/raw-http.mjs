// HTTP helpers for tests that need exact control over the request. node:http sends only the
// headers given, while fetch would add Accept and Accept-Encoding and would not let a test set
// Host. Responses are read as raw text or as a stream of server-sent events. Every request
// uses its own connection (`agent: false`), so closing a stream never affects another request.

import http from 'node:http';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends one request and reads the whole response. Rejects when the response is not complete
 * within `timeoutMs`, so a server that never ends a reply fails the test instead of hanging it.
 * Returns `{ status, headers, text }`, where header names are lowercase.
 */
export function rawRequest(url, { method = 'GET', headers = {}, body, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode, headers: response.headers, text });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`${method} ${url} did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (body !== undefined) request.write(body);
    request.end();
  });
}

/**
 * Parses server-sent event text into blocks. Each block is
 * `{ id, event, data, retry, comments }`: `data` joins the block's data lines with "\n" and is
 * undefined when the block has none, and `comments` lists its `:` lines without the colon.
 */
export function parseSse(text) {
  const blocks = [];
  for (const rawBlock of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    if (rawBlock.trim() === '' && !rawBlock.includes(':')) continue;
    const block = { id: undefined, event: undefined, data: undefined, retry: undefined, comments: [] };
    for (const line of rawBlock.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        block.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
      else if (field === 'id') block.id = value;
      else if (field === 'event') block.event = value;
      else if (field === 'retry') block.retry = Number(value);
    }
    blocks.push(block);
  }
  return blocks;
}

/** Returns the JSON-RPC messages in server-sent event blocks: every `data` that parses as JSON. */
export function sseMessages(blocks) {
  const messages = [];
  for (const block of blocks) {
    if (block.data === undefined || block.data.trim() === '') continue;
    try {
      messages.push(JSON.parse(block.data));
    } catch {
      // Not JSON, so not a JSON-RPC message.
    }
  }
  return messages;
}

/**
 * An open response that is read incrementally, for server-sent event streams. `blocks` holds
 * every complete event block received so far, each with `receivedAt`, the `performance.now()`
 * time its end arrived. `openedAt` is the time the response headers arrived.
 */
class EventStream {
  constructor(request, response) {
    this.request = request;
    this.openedAt = performance.now();
    this.status = response.statusCode;
    this.headers = response.headers;
    this.text = '';
    this.blocks = [];
    this.ended = false;
    this.waiters = new Set();
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      this.text += chunk;
      const complete = this.text.replace(/\r\n?/g, '\n');
      const end = complete.lastIndexOf('\n\n');
      this.update(end === -1 ? [] : parseSse(complete.slice(0, end + 2)));
    });
    const finish = () => {
      this.ended = true;
      this.update(parseSse(this.text));
    };
    response.on('end', finish);
    response.on('close', finish);
    response.on('error', finish);
  }

  /** Replaces `blocks` with a new parse, keeping the arrival time of blocks already seen. */
  update(blocks) {
    const now = performance.now();
    for (const [index, block] of blocks.entries()) {
      block.receivedAt = this.blocks[index]?.receivedAt ?? now;
    }
    this.blocks = blocks;
    for (const waiter of this.waiters) waiter();
  }

  /**
   * Waits until `predicate(blocks)` returns a truthy value and returns it. Rejects when the
   * stream ends first or `timeoutMs` passes, with `description` and what arrived in the message.
   */
  waitFor(predicate, timeoutMs, description) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = predicate(this.blocks);
        if (found) {
          done();
          resolve(found);
        } else if (this.ended) {
          done();
          reject(new Error(`the stream ended before ${description}; received: ${JSON.stringify(this.text)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${description} within ${timeoutMs} ms; received: ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until the server ends the response. Rejects after `timeoutMs`. Returns all blocks. */
  waitForEnd(timeoutMs) {
    return this.waitFor(() => false, timeoutMs, 'end of the stream').catch((error) => {
      if (this.ended) return this.blocks;
      throw error;
    });
  }

  /** Closes the connection from the client side. */
  close() {
    this.request.destroy();
  }
}

/** Sends a request and resolves once the response headers arrive, with an `EventStream`. */
export function openStream(url, { method = 'GET', headers = {}, body, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      clearTimeout(timer);
      resolve(new EventStream(request, response));
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`${method} ${url} sent no response headers within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (body !== undefined) request.write(body);
    request.end();
  });
}
