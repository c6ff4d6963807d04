#!/usr/bin/env bash
# fuzz.sh TIME: runs every fuzz target (func FuzzX in a _test.go file) for
# TIME each, one after another; a failing input is saved in the package's
# testdata/fuzz, and fails the run.
#
# Go's fuzzer also stops with "context deadline exceeded", and no input
# saved, when its time runs out while a worker is still busy with a new
# input (minimizing it, on a loaded machine). That says nothing of the code
# under test: such a target runs once more, and fails the second time.
set -euo pipefail
time=${1:-60s}
go=${GO:-go}
git grep --untracked -oE '^func Fuzz[A-Za-z0-9_]+' -- '*_test.go' | sort | while IFS=: read -r file fn; do
	pkg=./$(dirname "$file")
	target=${fn#func }
	for attempt in 1 2; do
		echo "fuzz: $target in $pkg for $time"
		log=$(mktemp)
		if "$go" test -run '^$' -fuzz "^$target\$" -fuzztime "$time" "$pkg" 2>&1 | tee "$log"; then
			rm -f "$log"
			break
		fi
		saved=$(git status --porcelain --untracked-files=all -- "$pkg/testdata/fuzz/$target")
		if [ "$attempt" = 1 ] && [ -z "$saved" ] && grep -q 'context deadline exceeded' "$log"; then
			echo "fuzz: $target stopped at its deadline without a failing input: once more"
			rm -f "$log"
			continue
		fi
		rm -f "$log"
		exit 1
	done
done
