#!/bin/sh
# Writes the seed corpus of the `statement` target: one file per case of ../testdata/*.cql (cases are
# separated by blank lines, as in the golden tests), into corpus/statement/.
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/statement
for f in ../testdata/*.cql; do
    name=$(basename "$f" .cql)
    awk -v dir=corpus/statement -v name="$name" 'BEGIN { RS = "" } { file = sprintf("%s/%s-%03d", dir, name, NR); printf "%s", $0 > file; close(file) }' "$f"
done
echo "$(ls corpus/statement | wc -l) seeds in corpus/statement"
