#!/usr/bin/env bash
# Benchmarks semantic search: embedding throughput, search latency and HNSW recall at 10,000
# and 100,000 chunks.
#
#   scripts/bench-search.sh
#
# Step 1 writes synthetic markdown articles of random English words, about 10,000 chunks of up
# to 200 tokens. It imports them into a fresh database with the release binary and embeds them
# with the real local model (`reindex`), which reports chunks per second. Step 2 adds
# random unit vectors with random-word text as extra chunks up to 100,000, because embedding
# that many with the model would take hours on a small machine. At each size it measures:
#   - latency of GET /api/search per mode (client side, over HTTP on 127.0.0.1, including
#     the query embedding), p50 and p95 over QUERIES queries;
#   - the database time of the nearest-chunk query alone, HNSW and exact, p50 and p95;
#   - recall@10 of the HNSW index against exact search, with ef_search 40 (pgvector's default)
#     and 80 (what the service uses for k=10).
# Recall query vectors: at 10,000 chunks, midpoints of two random real chunk vectors; at
# 100,000, random unit vectors (a harder case than real text embeddings). Set ARTICLES,
# SECTIONS, TOTAL_CHUNKS or QUERIES to change the sizes; KEEP_DB=1 keeps the database.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BINARY="$ROOT/target/release/mcp-markdown-manager"
ARTICLES="${ARTICLES:-500}"
SECTIONS="${SECTIONS:-20}"
TOTAL_CHUNKS="${TOTAL_CHUNKS:-100000}"
QUERIES="${QUERIES:-100}"

log() { echo "bench-search.sh: $*" >&2; }

scripts/fetch-model.sh
SERVER_URL="$(scripts/postgres.sh start)"
PATH="$(scripts/postgres.sh bin):$PATH"
log "building the release binary"
SQLX_OFFLINE=true cargo build --release --quiet

DB_NAME="search_bench_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
export DATABASE_URL="${SERVER_URL%/*}/$DB_NAME"
WORK="$(mktemp -d)"
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
  if [[ "${KEEP_DB:-0}" != "1" ]]; then
    psql "$SERVER_URL" -qc "drop database if exists $DB_NAME with (force)" >/dev/null
  else
    log "kept database $DB_NAME"
  fi
}
trap cleanup EXIT
psql "$SERVER_URL" -qc "create database $DB_NAME"

export EMBEDDING_MODEL_DIR="${EMBEDDING_MODEL_DIR:-$ROOT/.local/models/all-MiniLM-L6-v2}"
export RUST_LOG="${RUST_LOG:-warn}"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
AUTH_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export AUTH_TOKEN PORT BIND_ADDRESS=127.0.0.1

# Words for synthetic text and queries.
WORDS="time year people way day man thing woman life child world school state family student
group country problem hand part place case week company system program question work government
number night point home water room mother area money story fact month lot right study book eye
job word business issue side kind head house service friend father power hour game line end
member law car city community name president team minute idea kid body information back parent
face others level office door health person art war history party result change morning reason
research girl guy moment air teacher force education foot boy age policy process music market
sense nation plan college interest death experience effect class control care field development
role effort rate heart drug show leader light voice wife police mind price report decision son
view relationship town road arm difference value building action model season society tax
director position player record paper space ground form event official matter center couple
site project activity star table need court oil situation cost industry figure street image
phone data picture practice piece land product doctor wall patient worker news test movie north
love support technology step baby computer type attention film tree source organization hair
window evidence population site network server client request response cache queue index
search vector database article folder token session logger stream parser schema router"

start_server() {
  "$BINARY" serve >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && return 0
    sleep 0.2
  done
  log "the server did not become ready"
  exit 1
}

# Prints "| size | mode | p50 | p95 |" rows for GET /api/search.
measure_http() {
  local size="$1"
  python3 - "http://127.0.0.1:$PORT" "$AUTH_TOKEN" "$QUERIES" "$size" "$WORDS" <<'PY'
import json
import random
import statistics
import sys
import time
import urllib.parse
import urllib.request

base, token, count, size, words = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].split()
rng = random.Random(7)
queries = [" ".join(rng.sample(words, rng.randint(2, 5))) for _ in range(count)]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


for mode in ("fulltext", "semantic", "hybrid"):
    timings = []
    for query in queries:
        params = urllib.parse.urlencode({"query": query, "mode": mode, "k": 10})
        request = urllib.request.Request(
            f"{base}/api/search?{params}", headers={"Authorization": f"Bearer {token}"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            json.load(response)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"| {size} | GET /api/search mode={mode} | {percentile(timings, 0.5):.1f} | {percentile(timings, 0.95):.1f} |")
PY
}

# Prints database-side latency rows and recall rows for the nearest-chunk query.
# $2 is the SQL that fills temp table bench_queries(i int, v vector) with query vectors.
measure_sql() {
  local size="$1" query_sql="$2"
  psql "$DATABASE_URL" -qtA -v ON_ERROR_STOP=1 <<SQL
do \$\$ begin perform set_config('bench.space', (select id::text from embedding_spaces limit 1), false); end \$\$;
create temp table bench_queries as $query_sql;
create temp table bench_latency (kind text, ms float8);
do \$\$
declare
  q record;
  started timestamptz;
  space int := current_setting('bench.space')::int;
begin
  perform set_config('hnsw.ef_search', '80', false);
  for q in select * from bench_queries loop
    started := clock_timestamp();
    execute format('select id from chunks where space_id = %s order by embedding::vector(384) <=> \$1 limit 80', space) using q.v;
    insert into bench_latency values ('hnsw', extract(epoch from clock_timestamp() - started) * 1000);
    started := clock_timestamp();
    execute format('select id from chunks where space_id = %s order by embedding <=> \$1 limit 80', space) using q.v;
    insert into bench_latency values ('exact', extract(epoch from clock_timestamp() - started) * 1000);
  end loop;
end
\$\$;
select format('| $size | nearest 80 chunks in SQL, %s | %s | %s |', kind,
              round(percentile_cont(0.5) within group (order by ms)::numeric, 1),
              round(percentile_cont(0.95) within group (order by ms)::numeric, 1))
from bench_latency group by kind order by kind desc;
create temp table bench_exact as
  select q.i, array(select c.id from chunks c where c.space_id = current_setting('bench.space')::int
                    order by c.embedding <=> q.v limit 10) as ids
  from bench_queries q;
create temp table bench_recall (ef int, recall float8);
do \$\$
declare
  ef int;
  space int := current_setting('bench.space')::int;
begin
  foreach ef in array array[40, 80] loop
    perform set_config('hnsw.ef_search', ef::text, false);
    execute format(
      'insert into bench_recall
         select %s, avg(cardinality(array(
                  select unnest(e.ids)
                  intersect
                  select unnest(array(select c.id from chunks c where c.space_id = %s
                                      order by c.embedding::vector(384) <=> q.v limit 10)))) / 10.0)
         from bench_queries q join bench_exact e using (i)', ef, space);
  end loop;
end
\$\$;
select format('| $size | HNSW recall@10, ef_search %s | %s |', ef, round(recall::numeric, 3))
from bench_recall order by ef;
SQL
}

log "writing $ARTICLES synthetic articles with $SECTIONS sections each"
python3 - "$WORK/corpus" "$ARTICLES" "$SECTIONS" "$WORDS" <<'PY'
import os
import random
import sys

directory, articles, sections, words = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
rng = random.Random(42)
os.makedirs(directory)
for number in range(articles):
    parts = [f"# Synthetic article {number}\n"]
    for section in range(sections):
        sentences = []
        # About 140 words: one chunk of at most 200 tokens per section.
        for _ in range(14):
            sentence = " ".join(rng.choice(words) for _ in range(10))
            sentences.append(sentence.capitalize() + ".")
        parts.append(f"## Section {section} {rng.choice(words)}\n\n" + " ".join(sentences) + "\n")
    with open(os.path.join(directory, f"article-{number:05}.md"), "w") as file:
        file.write("\n".join(parts))
PY
"$BINARY" import "$WORK/corpus" --conflict rename >&2
log "embedding with the local model (this takes several minutes)"
"$BINARY" reindex | tee "$WORK/reindex.txt" >&2
CHUNKS_10K="$(psql "$DATABASE_URL" -tAc "select count(*) from chunks")"

echo
echo "### Indexing"
echo
echo "$(cat "$WORK/reindex.txt")"
echo
echo "### Latency (ms) and recall"
echo
echo "| chunks | measurement | p50 | p95 |"
echo "| --- | --- | --- | --- |"
start_server
measure_http "$CHUNKS_10K"
stop_server
RECALL_ROWS_10K="$(measure_sql "$CHUNKS_10K" "
  select g.i, l2_normalize(a.embedding + b.embedding) as v
  from generate_series(1, $QUERIES) g(i)
  cross join lateral (select embedding from chunks where g.i > 0 order by random() limit 1) a
  cross join lateral (select embedding from chunks where g.i > 0 order by random() limit 1) b")"
grep -v 'recall' <<<"$RECALL_ROWS_10K"

EXTRA=$((TOTAL_CHUNKS - CHUNKS_10K))
if (( EXTRA > 0 )); then
  log "adding $EXTRA chunks with random unit vectors"
  WORD_ARRAY="array['$(tr -s ' \n' ' ' <<<"$WORDS" | sed "s/^ //; s/ $//; s/ /','/g")']"
  STARTED=$(date +%s.%N)
  psql "$DATABASE_URL" -qtA -v ON_ERROR_STOP=1 <<SQL
-- Articles written directly, so nothing is queued; their chunks use the model's space, so the
-- worker's backfill does not queue them either.
insert into articles (slug, title, content)
  select 'random-' || g.i, 'Random article ' || g.i, ''
  from generate_series(1, ($EXTRA + 19) / 20) g(i);
insert into chunks (article_id, space_id, chunk_index, text, content_hash, embedding, search_vector)
  select a.id, (select id from embedding_spaces limit 1), g.n, t.text, md5(t.text), t.v,
         setweight(to_tsvector('english', a.title), 'A') || setweight(to_tsvector('english', t.text), 'B')
  from (select id, title, row_number() over (order by id) as r from articles where slug like 'random-%') a
  cross join generate_series(0, 19) g(n)
  cross join lateral (
    select (select string_agg(($WORD_ARRAY)[1 + floor(random() * cardinality($WORD_ARRAY))::int], ' ')
            from generate_series(1, 140) where g.n >= 0 and a.r > 0) as text,
           l2_normalize((select array_agg(random() - 0.5) from generate_series(1, 384)
                         where g.n >= 0 and a.r > 0)::vector) as v
  ) t
  where (a.r - 1) * 20 + g.n < $EXTRA;
SQL
  ELAPSED=$(python3 -c "import time; print(f'{time.time() - $STARTED:.1f}')")
  CHUNKS_100K="$(psql "$DATABASE_URL" -tAc "select count(*) from chunks")"
  start_server
  measure_http "$CHUNKS_100K"
  stop_server
  RECALL_ROWS_100K="$(measure_sql "$CHUNKS_100K" "
    select g.i, l2_normalize((select array_agg(random() - 0.5) from generate_series(1, 384)
                              where g.i > 0)::vector) as v
    from generate_series(1, $QUERIES) g(i)")"
  grep -v 'recall' <<<"$RECALL_ROWS_100K"
fi

echo
echo "| chunks | measurement | value |"
echo "| --- | --- | --- |"
grep 'recall' <<<"$RECALL_ROWS_10K"
if (( EXTRA > 0 )); then
  grep 'recall' <<<"$RECALL_ROWS_100K"
  echo
  echo "Inserting $EXTRA random-vector chunks into the HNSW-indexed table took $ELAPSED s."
fi
echo
echo "Machine: $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg)."
