#!/usr/bin/env bash
# Run the suite at moments that stress the wall, two at a time (CI has two cores and
# the suite mostly waits), each in its own temp folder and log; fail if any failed.
# Usage: run-at-moments.sh PYTHON "INSTANT[ TZ=ZONE]"...
set -uo pipefail
python=$1
shift
logs=$(mktemp -d)
failed=0

run_one() {  # $1: index, $2: "INSTANT[ TZ=ZONE]"
    local instant=${2%% *} zone=""
    [[ $2 == *" TZ="* ]] && zone=${2##* TZ=}
    env WALLBOARD_TEST_NOW="$instant" ${zone:+TZ="$zone"} "$python" -m pytest -q -p no:cacheprovider \
        --basetemp="$logs/tmp-$1" -m "not slow and not homeassistant and not soak and not install and not fleet and not browser" > "$logs/$1.log" 2>&1
}

report() {  # $1: index, $2: moment, $3: exit status
    echo "== the suite at $2: $( (($3 == 0)) && echo passed || echo "FAILED (exit $3)")"
    tail -n "$( (($3 == 0)) && echo 1 || echo 60)" "$logs/$1.log"
}

moments=("$@")
for ((i = 0; i < ${#moments[@]}; i += 2)); do
    run_one "$i" "${moments[i]}" & first=$!
    if ((i + 1 < ${#moments[@]})); then run_one "$((i + 1))" "${moments[i + 1]}" & second=$!; fi
    wait "$first"; status=$?; report "$i" "${moments[i]}" "$status"; ((status)) && failed=1
    if ((i + 1 < ${#moments[@]})); then
        wait "$second"; status=$?; report "$((i + 1))" "${moments[i + 1]}" "$status"; ((status)) && failed=1
    fi
done
rm -rf "$logs"
exit "$failed"
