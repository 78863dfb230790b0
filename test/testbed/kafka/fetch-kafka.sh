#!/usr/bin/env bash
# Fetches the pinned Kafka jars (see pom.xml) from Maven Central into .cache/kafka/lib.
# Idempotent: does nothing when a completed fetch for the same pom.xml is already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="$root/.cache/kafka"
lib="$cache/lib"
stamp="$lib/.complete"

# The stamp holds the pom's checksum, so changing a pinned version triggers a new fetch.
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-kafka: mvn not found (needs Maven and Java 17)" >&2; exit 1; }

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/lib.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-kafka: resolving Kafka 3.9.1 from Maven Central into $lib" >&2
start=$(date +%s)
# includeScope=runtime leaves out test/provided jars; the copy goes to a temp dir then is
# swapped in, so an interrupted fetch never looks complete.
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp"

for jar in kafka_2.13-3.9.1.jar slf4j-reload4j-1.7.36.jar reload4j-1.2.25.jar; do
  [[ -f "$tmp/$jar" ]] || { echo "fetch-kafka: $jar missing after resolution" >&2; exit 1; }
done
echo "$want" >"$tmp/.complete"

rm -rf "$lib"
mv "$tmp" "$lib"
trap - EXIT
echo "fetch-kafka: $(ls "$lib" | wc -l) jars in $(( $(date +%s) - start )) s" >&2
