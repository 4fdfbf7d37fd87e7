-- wrk script: GET /api/articles/{slug}, rotating over the articles that bench.sh imported.
-- Environment: MDM_BENCH_TOKEN (bearer token), MDM_BENCH_ARTICLES (number of articles).

local token = assert(os.getenv("MDM_BENCH_TOKEN"), "MDM_BENCH_TOKEN is not set")
local article_count = tonumber(os.getenv("MDM_BENCH_ARTICLES") or "1000")

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local next_index

function init(args)
  -- Each thread starts at a different article, so threads do not read in lockstep.
  next_index = (thread_index or 0) * 997
end

function request()
  next_index = next_index + 1
  local slug = string.format("bench-article-%04d", next_index % article_count + 1)
  return wrk.format("GET", "/api/articles/" .. slug, { ["Authorization"] = "Bearer " .. token })
end
