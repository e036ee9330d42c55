/// Help text and usage lines, generated from the same declarations the parser uses.
public enum Help {
    static let column = 26

    public static func usage(_ c: CommandSpec) -> String {
        var parts = ["kip"] + c.path.dropFirst()
        if !c.subcommands.isEmpty && c.handler == nil {
            parts.append("<subcommand>")
            return parts.joined(separator: " ")
        }
        for a in c.arguments {
            var s = "<\(a.name)>"
            if a.variadic { s += " ..." }
            parts.append(a.optional ? "[\(s)]" : s)
        }
        for o in c.options {
            var s = o.usageForm
            if o.isList { s += " ..." }
            parts.append(o.required ? s : "[\(s)]")
        }
        return parts.joined(separator: " ")
    }

    private static func row(_ label: String, _ text: String) -> String {
        let pad = String(repeating: " ", count: column)
        if label.count + 2 >= column {
            return "  \(label)\n" + pad + text
        }
        return "  " + label + String(repeating: " ", count: column - 2 - label.count) + text
    }

    private static func describe(_ o: OptionSpec) -> String {
        var t = o.help
        var extra: [String] = []
        if let ch = o.choices { extra.append("values: " + ch.joined(separator: ", ")) }
        if let d = o.defaultValue { extra.append("default: \(d)") }
        if o.isList { extra.append(o.splitsCommas ? "repeatable, comma-separated" : "repeatable") }
        if o.required { extra.append("required") }
        if !extra.isEmpty { t += " (" + extra.joined(separator: "; ") + ")" }
        return t
    }

    public static func text(_ c: CommandSpec, version: String) -> String {
        var out = "OVERVIEW: \(c.abstract)\n"
        if let d = c.discussion { out += "\n" + d + "\n" }
        out += "\nUSAGE: \(usage(c))\n"
        if !c.arguments.isEmpty {
            out += "\nARGUMENTS:\n"
            for a in c.arguments { out += row("<\(a.name)>", a.help) + "\n" }
        }
        let isRoot = c.parent == nil
        out += "\nOPTIONS:\n"
        for o in c.options { out += row(o.label, describe(o)) + "\n" }
        if isRoot {
            for o in globalOptions { out += row(o.label, describe(o)) + "\n" }
            out += row("--version", "Show the version (\(version)).") + "\n"
        } else {
            out += row("-h, --help", "Show help information.") + "\n"
        }
        if !c.subcommands.isEmpty {
            out += "\nSUBCOMMANDS:\n"
            for s in c.subcommands { out += row(s.name, s.abstract) + "\n" }
            out +=
                "\n  See 'kip help \(Array(c.path.dropFirst()).map { $0 + " " }.joined())<subcommand>' for detailed help.\n"
        }
        if !isRoot {
            let globals = globalOptions.filter { $0.long != "help" }.map { o in
                o.short.map { "-\($0)/--\(o.long)" } ?? "--\(o.long)"
            }
            out += "\n  Global options: \(globals.joined(separator: ", ")) (see 'kip --help').\n"
        } else {
            out += "\nENVIRONMENT:\n"
            for v in environmentVariables { out += row(v.name, v.help) + "\n" }
        }
        return out
    }
}

/// Shell completion scripts, generated from the command table. Names (projects,
/// environments, apps, clusters) are asked of kip itself (`-o name`), with the
/// `--cluster`, `--context`, `--kubeconfig` and `--project` already on the line.
public enum Completion {
    public static func script(_ shell: String, root: CommandSpec) -> String? {
        switch shell {
        case "bash": return bash(root)
        case "zsh":
            // bashcompinit needs compinit's compdef: loaded here when the shell has not.
            return """
                #compdef kip
                # kip completion for zsh; load with: source <(kip completion zsh)
                (( $+functions[compdef] )) || { autoload -U +X compinit && compinit }
                autoload -U +X bashcompinit && bashcompinit

                """ + bash(root)
        default: return nil
        }
    }

    private static func walk(_ c: CommandSpec, _ visit: (CommandSpec) -> Void) {
        visit(c)
        for s in c.subcommands { walk(s, visit) }
    }

    /// Commands whose first argument names an app, a project, or a cluster.
    static func namedBy(_ root: CommandSpec, _ argument: (CommandSpec) -> Bool) -> [String] {
        var out: [String] = []
        walk(root) { c in
            if c.handler != nil, c.parent != nil, argument(c) {
                out.append(Array(c.path.dropFirst()).joined(separator: " "))
            }
        }
        return out
    }

    private static func bash(_ root: CommandSpec) -> String {
        var cases = ""
        var valued = Set<String>()
        walk(root) { c in
            let key = Array(c.path.dropFirst()).joined(separator: " ")
            var words = c.subcommands.map(\.name)
            words += (c.options + globalOptions).map { "--" + $0.long }
            cases += "        \"\(key)\") words=\"\(words.joined(separator: " "))\" ;;\n"
            for o in c.options + globalOptions where o.valueName != nil {
                valued.insert("--" + o.long)
                if let s = o.short { valued.insert("-\(s)") }
            }
        }
        var values = ""
        var choices: [String: [String]] = [:]
        walk(root) { c in
            for o in c.options + globalOptions { if let ch = o.choices { choices["--" + o.long] = ch } }
        }
        for (flag, ch) in choices.sorted(by: { $0.key < $1.key }) {
            let short = flag == "--output" ? "|-o" : ""
            values +=
                "        \(flag)\(short)) COMPREPLY=($(compgen -W \"\(ch.joined(separator: " "))\" -- \"$cur\")); return ;;\n"
        }
        let envFlags = ["--environment", "--to", "--from", "--copy-from", "--after", "--before", "--confirm-env"]
        let apps = namedBy(root) { c in
            c.path.dropFirst().first == "app" && ["app", "name"].contains(c.arguments.first?.name ?? "")
        }
        let projects = namedBy(root) { c in
            c.path.dropFirst().first == "project" && ["name", "project"].contains(c.arguments.first?.name ?? "")
        }
        let clusters = namedBy(root) { c in c.path.dropFirst().first == "cluster" && c.arguments.first?.name == "name" }
        func alt(_ l: [String]) -> String { l.map { "\"\($0)\"" }.joined(separator: "|") }
        return """
            # kip completion for bash; load with: source <(kip completion bash)
            _kip_names() {
                kip "${scope[@]}" "$@" -o name 2>/dev/null
            }
            _kip() {
                local cur prev path="" words="" i w candidate positional=0
                local -a scope=()
                cur="${COMP_WORDS[COMP_CWORD]}"
                prev="${COMP_WORDS[COMP_CWORD-1]}"
                # --output=json: bash splits at '='.
                if [[ "$prev" == "=" ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
                if [[ "$cur" == "=" ]]; then cur=""; fi
                for ((i = 1; i < COMP_CWORD; i++)); do
                    w="${COMP_WORDS[i]}"
                    case "$w" in
                        --cluster|--context|--kubeconfig|--project)
                            ((i + 1 < COMP_CWORD)) && scope+=("$w" "${COMP_WORDS[i+1]}") ;;
                    esac
                done
                case "$prev" in
            \(values)        --cluster) COMPREPLY=($(compgen -W "$(_kip_names cluster list)" -- "$cur")); return ;;
                    --project)
                        if [[ "$cur" == */* ]]; then
                            COMPREPLY=($(compgen -W "$(kip project show "${cur%%/*}" -o name 2>/dev/null | sed "s|^|${cur%%/*}/|")" -- "$cur"))
                        else
                            COMPREPLY=($(compgen -W "$(_kip_names project list)" -- "$cur"))
                        fi
                        return ;;
                    \(envFlags.joined(separator: "|")))
                        local p="" j
                        for ((j = 1; j < COMP_CWORD; j++)); do
                            [[ "${COMP_WORDS[j]}" == --project ]] && p="${COMP_WORDS[j+1]%%/*}"
                        done
                        COMPREPLY=($(compgen -W "$(kip project show $p -o name 2>/dev/null)" -- "$cur")); return ;;
                    \(valued.sorted().joined(separator: "|"))) COMPREPLY=(); return ;;
                esac
                for ((i = 1; i < COMP_CWORD; i++)); do
                    w="${COMP_WORDS[i]}"
                    if [[ "$w" == -* ]]; then
                        # An option's value is not a command word.
                        case "$w" in \(valued.sorted().joined(separator: "|"))) ((i++)) ;; esac
                        continue
                    fi
                    if [[ -z "$path" ]]; then candidate="$w"; else candidate="$path $w"; fi
                    case "$candidate" in
            \(knownPaths(root))            *) ((positional++)) ;;
                    esac
                done
                if [[ "$cur" != -* && $positional -eq 0 ]]; then
                    case "$path" in
                        \(alt(apps))) COMPREPLY=($(compgen -W "$(_kip_names app list)" -- "$cur")); return ;;
                        \(alt(projects))) COMPREPLY=($(compgen -W "$(_kip_names project list)" -- "$cur")); return ;;
                        \(alt(clusters))) COMPREPLY=($(compgen -W "$(_kip_names cluster list)" -- "$cur")); return ;;
                        "completion") COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
                    esac
                fi
                case "$path" in
            \(cases)    esac
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
            }
            complete -F _kip kip

            """
    }

    private static func knownPaths(_ root: CommandSpec) -> String {
        var out = ""
        walk(root) { c in
            guard c.parent != nil else { return }
            out += "            \"\(Array(c.path.dropFirst()).joined(separator: " "))\") path=\"$candidate\" ;;\n"
        }
        return out
    }
}
