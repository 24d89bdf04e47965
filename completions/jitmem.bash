# bash completion for jitmem(1).
#
# The subcommands and their options are those of `jitmem --help` and `jitmem SUB --help`;
# tests/e2e/test_install.sh checks these lists against them and against the getopt tables
# in src/cmd_*.c, so change them together.

_jitmem_commands='env run compare fit load watch analyze report history'
_jitmem_workloads='numeric dynamic orm broad startup webapp'

# _jitmem_options SUB KIND: SUB's options; KIND "flags" (no argument) or "args" (one argument).
_jitmem_options()
{
        local flags args
        case $1 in
        env)
                flags='--json --no-startup -h --help'
                args='--python --runs --timeout --root' ;;
        run)
                flags='--no-probe --no-pagemap --progress --trace-jit --force -q --quiet --history -h --help'
                args='-o --out --jit -i --interval --pss-interval --grace --limit --db' ;;
        compare)
                flags='--warmup --resume --force --control --trace-jit --json --no-pagemap --no-report
                       --no-history -h --help'
                args='--workload --python --scale --runs --max-runs --target-width -o --out --limit
                      --workers --restart-every --min-per-worker --min-headroom --max-delta
                      -i --interval --http --rate --duration --connections --requests
                      --http-warmup --ready-timeout --pyperf --db' ;;
        fit)
                flags='--resume --force --json --no-report --no-history -h --help'
                args='--workload --python --scale --workers --modes --precision --margin --max-trials
                      --budget --cgroup-parent -o --out -i --interval --http --rate --duration
                      --connections --requests --http-warmup --ready-timeout --db' ;;
        load)
                flags='--json -h --help'
                args='-r --rate -c --connections -d --duration -n --count --requests --seed --timeout' ;;
        watch)
                flags='--json --force -h --help'
                args='--match --cgroup --limit -i --interval --window --rescan --pss-interval
                      --listen --textfile --max-series -n --count --duration --record' ;;
        analyze)
                flags='--json -h --help'
                args='--limit' ;;
        report)
                flags='-h --help'
                args='-o --out --db' ;;
        history)
                flags='--json --check -h --help'
                args='--db -w --workload -p --python-version -k --kind -n --limit --add --pyperf' ;;
        esac
        # Unquoted: the lists are split into words.
        # shellcheck disable=SC2086
        if [[ $2 == flags ]]; then printf '%s ' $flags; else printf '%s ' $args; fi
}

# _jitmem_takes_arg SUB OPTION: OPTION of SUB takes an argument.
_jitmem_takes_arg()
{
        local o
        for o in $(_jitmem_options "$1" args); do
                [[ $o == "$2" ]] && return 0
        done
        return 1
}

# _jitmem_compgen KIND CUR: files (-f), directories (-d) or commands (-c) beginning with CUR,
# one per element of COMPREPLY.
_jitmem_compgen()
{
        mapfile -t COMPREPLY < <(compgen "$1" -- "$2")
        [[ $1 == -c ]] || compopt -o filenames 2>/dev/null
        return 0
}

_jitmem()
{
        local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD prev='' opt='' sub w i skip=0 cmd_at=0
        COMPREPLY=()
        ((cword >= 1)) && prev=${COMP_WORDS[cword - 1]}

        if ((cword == 1)); then
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W '--help --version' -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$_jitmem_commands" -- "$cur")
                fi
                return 0
        fi
        sub=${COMP_WORDS[1]}
        case " $_jitmem_commands " in *" $sub "*) ;; *) return 0 ;; esac

        # Where the command of run, compare and fit begins: after "--", or at the first word that is
        # neither an option nor an option's argument.
        for ((i = 2; i < cword; i++)); do
                w=${COMP_WORDS[i]}
                if [[ $w == = ]]; then skip=1; continue; fi # --opt=value split at '='
                if ((skip)); then skip=0; continue; fi
                case $w in
                --) cmd_at=$((i + 1)); break ;;
                --*=*) ;;
                -?*) _jitmem_takes_arg "$sub" "$w" && skip=1 ;;
                *)
                        if [[ $sub == run || $sub == compare || $sub == fit ]]; then
                                cmd_at=$i
                                break
                        fi ;;
                esac
        done
        if ((cmd_at > 0 && cword >= cmd_at)); then
                if ((cword == cmd_at)); then
                        _jitmem_compgen -c "$cur"
                elif declare -F _command_offset >/dev/null; then
                        _command_offset "$cmd_at"
                else
                        _jitmem_compgen -f "$cur"
                fi
                return 0
        fi

        # The option whose argument is being completed: "--opt value", "--opt=value".
        if [[ $cur == = ]]; then
                opt=$prev
                cur=''
        elif [[ $prev == = ]] && ((cword >= 3)); then
                opt=${COMP_WORDS[cword - 2]}
        elif [[ $cur == --*=* ]]; then
                opt=${cur%%=*}
                cur=${cur#*=}
        elif ((skip)) && _jitmem_takes_arg "$sub" "$prev"; then
                opt=$prev
        fi
        if [[ -n $opt ]]; then
                _jitmem_takes_arg "$sub" "$opt" || return 0
                case $opt in
                --jit) mapfile -t COMPREPLY < <(compgen -W 'on off inherit' -- "$cur") ;;
                --workload) mapfile -t COMPREPLY < <(compgen -W "$_jitmem_workloads" -- "$cur") ;;
                --modes) mapfile -t COMPREPLY < <(compgen -W 'off on off,on' -- "$cur") ;;
                --kind) mapfile -t COMPREPLY < <(compgen -W 'compare fit run' -- "$cur") ;;
                --pss-interval) mapfile -t COMPREPLY < <(compgen -W 'auto' -- "$cur") ;;
                --python)
                        if [[ $cur == */* ]]; then
                                _jitmem_compgen -f "$cur"
                        else
                                _jitmem_compgen -c "${cur:-python}"
                        fi ;;
                -o | --out | --root | --cgroup | --cgroup-parent) _jitmem_compgen -d "$cur" ;;
                --requests | --textfile | --db) _jitmem_compgen -f "$cur" ;;
                --add) _jitmem_compgen -d "$cur" ;;
                esac
                return 0
        fi

        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_jitmem_options "$sub" flags) $(_jitmem_options "$sub" args)" -- "$cur")
                return 0
        fi
        case $sub in
        run | compare | fit) _jitmem_compgen -c "$cur" ;;
        analyze | report) _jitmem_compgen -d "$cur" ;;
        watch) mapfile -t COMPREPLY < <(compgen -W "$(cd /proc 2>/dev/null && echo [0-9]*)" -- "$cur") ;;
        esac
        return 0
}

complete -F _jitmem jitmem
