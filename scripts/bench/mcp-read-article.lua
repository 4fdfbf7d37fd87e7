-- wrk script: MCP tools/call readArticle in one session, rotating over the articles that
-- bench.sh imported. Environment: MDM_BENCH_TOKEN (access token), MDM_BENCH_SESSION
-- (Mcp-Session-Id of an initialized session), MDM_BENCH_ARTICLES (number of articles).
--
-- wrk counts only HTTP statuses, but a failed tool call is an HTTP 200 whose JSON-RPC result
-- has "isError":true, so responses are checked here and failures printed at the end.

local token = assert(os.getenv("MDM_BENCH_TOKEN"), "MDM_BENCH_TOKEN is not set")
local session = assert(os.getenv("MDM_BENCH_SESSION"), "MDM_BENCH_SESSION is not set")
local article_count = tonumber(os.getenv("MDM_BENCH_ARTICLES") or "1000")

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local next_index
local headers
failed_calls = 0

function init(args)
  next_index = (thread_index or 0) * 997
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["MCP-Protocol-Version"] = "2025-11-25",
    ["Mcp-Session-Id"] = session,
  }
end

function request()
  next_index = next_index + 1
  local slug = string.format("bench-article-%04d", next_index % article_count + 1)
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"readArticle","arguments":{"filename":"%s"}}}',
    next_index, slug)
  return wrk.format("POST", "/mcp", headers, body)
end

function response(status, response_headers, body)
  if status ~= 200 or not string.find(body, '"isError":false', 1, true) then
    failed_calls = failed_calls + 1
    if failed_calls == 1 then
      io.stderr:write("first failed tools/call: HTTP " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failed_calls") or 0)
  end
  io.write(string.format("MCP calls without a successful result: %d\n", failed))
end
