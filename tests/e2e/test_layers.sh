#!/usr/bin/env bash
# The layers of src/ (docs/ARCHITECTURE.md): every `#include "NAME.h"` of a file in src/LAYER/
# names a header of its own layer or of one it may use, and every header named exists once.
# Unit tests mirror the layers: tests/unit/LAYER/test_MODULE.c for a module of src/LAYER/.
. "$(dirname "$0")/lib.sh"

# LAYER: the layers it may include, itself first (the same table as docs/ARCHITECTURE.md)
declare -A MAY=(
        [base]="base"
        [kernel]="kernel base"
        [rundir]="rundir kernel base"
        [record]="record rundir kernel base"
        [history]="history record rundir kernel base"
        [judge]="judge rundir base"
        [net]="net base"
        [experiment]="experiment net judge record rundir kernel base"
        [live]="live net judge record rundir kernel base"
        [report]="report history experiment live net judge record rundir kernel base"
        [cli]="cli report history live experiment net judge record rundir kernel base"
)
layers=$(cd src && ls -d */ | tr -d /)
check_eq "src/ holds the layers the table names, and nothing else" "$(echo $layers | tr ' ' '\n' | sort | tr '\n' ' ')" \
        "$(printf '%s\n' "${!MAY[@]}" | sort | tr '\n' ' ')"
check_eq "no file at the top of src/" "$(find src -maxdepth 1 -type f | wc -l)" 0
check "the table is in docs/ARCHITECTURE.md" -- grep -q "^| \`experiment/\` | experiment, net, judge, record, rundir, kernel, base |" docs/ARCHITECTURE.md

# where each header lives
declare -A HOME_OF=()
dups=""
for h in src/*/*.h; do
        n=$(basename "$h")
        [ -n "${HOME_OF[$n]:-}" ] && dups="$dups $n"
        l=${h#src/}
        HOME_OF[$n]=${l%%/*}
done
check_eq "each header name exists once" "$dups" ""

bad=""
for f in src/*/*.[ch]; do
        l=${f#src/}
        l=${l%%/*}
        for inc in $(grep -oE '^#include "[^"]+"' "$f" | sed -E 's/#include "(.*)"/\1/'); do
                home=${HOME_OF[$inc]:-}
                if [ -z "$home" ]; then
                        bad="$bad $f:$inc(missing)"
                elif [[ " ${MAY[$l]} " != *" $home "* ]]; then
                        bad="$bad $f:$inc($home)"
                fi
        done
done
check_eq "every include goes down (or across its own layer)" "$bad" ""

misplaced=""
for t in tests/unit/*/test_*.c; do
        l=$(basename "$(dirname "$t")")
        m=$(basename "$t" .c)
        m=${m#test_}
        [ -f "src/$l/$m.c" ] || misplaced="$misplaced $t"
done
check_eq "each unit test sits in its module's layer" "$misplaced" ""
check_eq "no unit test outside a layer" "$(find tests/unit -maxdepth 1 -name 'test_*.c' | wc -l)" 0

# the check itself can fail: a made-up file of base that includes a header of record
mkdir -p "$TMP/src/base"
printf '#include "sampler.h"\n' >"$TMP/src/base/x.c"
l=base
inc=$(grep -oE '^#include "[^"]+"' "$TMP/src/base/x.c" | sed -E 's/#include "(.*)"/\1/')
[[ " ${MAY[$l]} " != *" ${HOME_OF[$inc]} "* ]]
ok $? "an include that goes up is caught (base including sampler.h, of ${HOME_OF[$inc]})"

finish test_layers
