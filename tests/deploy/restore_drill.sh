#!/usr/bin/env bash
# Restore drill: export every article, wipe the database, import the export, export again, and
# compare the two exports byte for byte.
#
#   tests/deploy/restore_drill.sh target/debug/mcp-markdown-manager
set -euo pipefail

BINARY="$(realpath "${1:?usage: restore_drill.sh BINARY}")"
: "${DATABASE_URL:?set DATABASE_URL}"
WORK="$(mktemp -d)"
DB="restore_drill_$RANDOM$RANDOM"
export DATABASE_URL_SERVER="$DATABASE_URL"
DB_URL="${DATABASE_URL%/*}/$DB"

cleanup() {
  psql "$DATABASE_URL_SERVER" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "restore_drill.sh: FAIL: $*" >&2; exit 1; }

psql "$DATABASE_URL_SERVER" -qc "create database $DB" >/dev/null
export DATABASE_URL="$DB_URL"

# A corpus with folders, frontmatter, unicode, CRLF-free markdown and public/no-RAG flags.
mkdir -p "$WORK/source/guides/rust" "$WORK/source/notes"
printf -- '---\ntitle: Ownership in Rust\ncreated: 2024-02-03\npublic: true\n---\n# Ownership\n\nBorrowing — «rules».\n' > "$WORK/source/guides/rust/ownership.md"
printf '# Daily note\n\n- [ ] task\n\n```sh\n# not a heading\n```\n' > "$WORK/source/notes/daily.md"
printf -- '---\ntitle: Private\nnoRag: true\n---\nsecret-ish text\n' > "$WORK/source/private.md"
printf '# Top level\n\ntable:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n' > "$WORK/source/top.md"

"$BINARY" import "$WORK/source" >/dev/null
"$BINARY" export "$WORK/first" >/dev/null
before="$(psql "$DB_URL" -tAc "select count(*) from articles")"

psql "$DB_URL" -qc "truncate articles cascade" >/dev/null
[[ "$(psql "$DB_URL" -tAc "select count(*) from articles")" == 0 ]] || fail "the wipe left articles"

"$BINARY" import "$WORK/first" >/dev/null
"$BINARY" export "$WORK/second" >/dev/null
after="$(psql "$DB_URL" -tAc "select count(*) from articles")"

[[ "$before" == "$after" ]] || fail "$before articles before, $after after the restore"
diff -r "$WORK/first" "$WORK/second" >&2 || fail "the restored export differs from the original"
psql "$DB_URL" -tAc "select is_public from articles where slug = 'ownership-in-rust'" | grep -q t ||
  fail "the public flag was lost"
psql "$DB_URL" -tAc "select no_rag from articles where slug = 'private'" | grep -q t || fail "noRag was lost"
echo "restore_drill.sh: ok: $after articles exported, wiped, imported and compared identical"
