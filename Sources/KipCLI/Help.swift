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
            out +=
                "\n  Global options: --cluster, --kubeconfig, --context, -o/--output, --dry-run, -y/--yes, --color, -v/--verbose (see 'kip --help').\n"
        } else {
            out += "\nENVIRONMENT:\n"
            out += row("KIP_HOME", "Folder of kip's config (default: ~/.kip).") + "\n"
            out += row("KIP_CLUSTER", "Cluster to use, as --cluster.") + "\n"
            out += row("KIP_KUBECTL", "kubectl to run (default: kubectl on PATH).") + "\n"
            out += row("NO_COLOR", "Set to turn colour off.") + "\n"
        }
        return out
    }
}

/// Shell completion scripts, generated from the command table.
public enum Completion {
    public static func script(_ shell: String, root: CommandSpec) -> String? {
        switch shell {
        case "bash": return bash(root)
        case "zsh": return "#compdef kip\nautoload -U +X bashcompinit && bashcompinit\n" + bash(root)
        default: return nil
        }
    }

    private static func walk(_ c: CommandSpec, _ visit: (CommandSpec) -> Void) {
        visit(c)
        for s in c.subcommands { walk(s, visit) }
    }

    private static func bash(_ root: CommandSpec) -> String {
        var cases = ""
        walk(root) { c in
            let key = Array(c.path.dropFirst()).joined(separator: " ")
            var words = c.subcommands.map(\.name)
            words += (c.options + globalOptions).map { "--" + $0.long }
            cases += "        \"\(key)\") words=\"\(words.joined(separator: " "))\" ;;\n"
        }
        var values = ""
        for o in globalOptions where o.choices != nil {
            values +=
                "        --\(o.long)\(o.short.map { "|-\($0)" } ?? "")) COMPREPLY=($(compgen -W \"\(o.choices!.joined(separator: " "))\" -- \"$cur\")); return ;;\n"
        }
        return """
            # kip completion for bash; load with: source <(kip completion bash)
            _kip() {
                local cur prev path="" words="" i w
                cur="${COMP_WORDS[COMP_CWORD]}"
                prev="${COMP_WORDS[COMP_CWORD-1]}"
                case "$prev" in
            \(values)    esac
                for ((i = 1; i < COMP_CWORD; i++)); do
                    w="${COMP_WORDS[i]}"
                    [[ "$w" == -* ]] && continue
                    if [[ -z "$path" ]]; then candidate="$w"; else candidate="$path $w"; fi
                    case "$candidate" in
            \(knownPaths(root))            *) break ;;
                    esac
                done
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
