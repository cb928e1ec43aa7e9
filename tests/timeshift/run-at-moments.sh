#!/usr/bin/env bash
# Run the suite at moments that stress the wall, all at once (the suite mostly waits
# on brokers, processes and timers, so the moments share CI's two cores well), each in
# its own temp folder and log; fail if any failed.
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

moments=("$@")
pids=()
for i in "${!moments[@]}"; do
    run_one "$i" "${moments[i]}" &
    pids+=($!)
done
for i in "${!moments[@]}"; do
    wait "${pids[i]}"; status=$?
    echo "== the suite at ${moments[i]}: $( ((status == 0)) && echo passed || echo "FAILED (exit $status)")"
    tail -n "$( ((status == 0)) && echo 1 || echo 60)" "$logs/$i.log"
    ((status)) && failed=1
done
rm -rf "$logs"
exit "$failed"
