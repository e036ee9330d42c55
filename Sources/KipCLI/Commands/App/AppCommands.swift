import Foundation
import KipCore

/// `kip app …`: apps, their env vars, secrets and bindings.
enum AppCommands {
    static let spec = CommandSpec(
        "app", "Deploy and manage apps in an environment.",
        subcommands: [
            CommandSpec(
                "deploy", "Create or update an app: Deployment, Service, Ingress and autoscaler.",
                discussion: """
                    Re-running updates the app in place: the fields its flags name change, the rest
                    (env vars, bindings, mounts, resources, autoscaling, route) stay as they are; --env,
                    --bind and --volume add or replace one entry each. --reset makes the app exactly what
                    the flags say and lists what it drops. The route defaults to <app>-<env>.<domain>
                    when the cluster has a wildcard domain. For an image bump alone: 'kip app set-image'.
                    """,
                options: [
                    Opts.name.spec, Opts.image.spec, Opts.port.spec, Opts.replicas.spec, Opts.env.spec,
                    Opts.cpuRequest.spec, Opts.cpuLimit.spec, Opts.memoryRequest.spec, Opts.memoryLimit.spec,
                    Opts.autoscale.spec, Opts.route.spec, Opts.noRoute.spec, Opts.bind.spec, Opts.volume.spec,
                    Opts.runAsNonRoot.spec, Opts.runAsUser.spec, Opts.securityDefaults.spec,
                    Opts.noSecurityDefaults.spec, Opts.reset.spec,
                    LifecycleCommands.confirmEnv, adoptFlag.spec, rolloutWaitFlag.spec,
                ] + scopeOptions, handler: deploy),
            CommandSpec(
                "set-image", "Change an app's image and nothing else (the CI image bump).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("image", "The new image.")],
                options: [rolloutWaitFlag.spec, PreJob.option] + scopeOptions, handler: setImage),
            CommandSpec("list", "List the apps of an environment.", options: scopeOptions, handler: list),
            CommandSpec(
                "show", "Show one app.", arguments: [ArgumentSpec("name", "App name.")], options: scopeOptions,
                handler: show),
            CommandSpec(
                "delete", "Delete an app and everything it owns.", arguments: [ArgumentSpec("name", "App name.")],
                options: scopeOptions, handler: delete),
            CommandSpec(
                "bind", "Give an app a service's connection details as env vars (by reference).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("service", "Service name.")],
                options: [Opts.prefix.spec] + scopeOptions, handler: bind),
            CommandSpec(
                "unbind", "Take a service's connection details away from an app.",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("service", "Service name.")],
                options: scopeOptions, handler: unbind),
            CommandSpec(
                "logs", "Print the logs of an app's pods (each line prefixed with its pod).",
                arguments: [ArgumentSpec("app", "App name.")],
                options: [
                    .flag("follow", short: "f", "Keep printing new lines until interrupted."),
                    .value("since", "duration", "Only lines newer than this (e.g. 10m, 1h)."),
                    .flag("previous", "The logs of the containers before their last restart (after a crash)."),
                    .value("tail", "n", "Only the last N lines of each pod (default: all)."),
                ] + scopeOptions, handler: logs),
            CommandSpec(
                "exec", "Run a command in a pod of the app (a shell when none is given).",
                discussion: """
                    Runs in a ready pod of the app's current revision, through 'kubectl exec': stdin is
                    passed on, and a terminal gets a terminal (-it). The command's exit status is kip's.
                    Put the command after --, e.g. 'kip app exec web -- ls -l /app'.
                    """,
                arguments: [
                    ArgumentSpec("app", "App name."),
                    ArgumentSpec(
                        "command", "The command and its arguments (default: sh).", optional: true, variadic: true),
                ],
                options: scopeOptions, handler: exec),
            CommandSpec(
                "restart", "Restart an app's pods, one by one as a rollout does (e.g. to re-read a ConfigMap).",
                arguments: [ArgumentSpec("app", "App name.")], options: [rolloutWaitFlag.spec] + scopeOptions,
                handler: restart),
            CommandSpec(
                "scale", "Set an app's replica count (autoscaling off).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("replicas", "Replica count (0 stops it).")],
                options: [rolloutWaitFlag.spec] + scopeOptions, handler: scale),
            CommandSpec(
                "env", "Set or unset an app's environment variables.",
                subcommands: [
                    CommandSpec(
                        "set", "Set env vars (KEY=VALUE …, or a .env file).",
                        arguments: [
                            ArgumentSpec("app", "App name."),
                            ArgumentSpec("pairs", "KEY=VALUE pairs.", optional: true, variadic: true),
                        ],
                        options: [
                            .value(
                                "from-file", "path",
                                "Also set every KEY=VALUE of this .env file (- for stdin); the pairs given win.")
                        ] + scopeOptions, handler: envSet),
                    CommandSpec(
                        "unset", "Remove env vars (KEY …).",
                        arguments: [
                            ArgumentSpec("app", "App name."), ArgumentSpec("keys", "Variable names.", variadic: true),
                        ],
                        options: scopeOptions, handler: envUnset),
                    CommandSpec(
                        "list", "List an app's env vars (and those its bindings give).",
                        arguments: [ArgumentSpec("app", "App name.")], options: scopeOptions, handler: envList),
                ]),
            CommandSpec(
                "secret", "Manage an app's secrets (values never printed).",
                subcommands: [
                    CommandSpec(
                        "set",
                        "Set a secret; the value comes from stdin or a hidden prompt, never from the command line.",
                        arguments: [
                            ArgumentSpec("app", "App name."),
                            ArgumentSpec(
                                "key", "Secret name, exposed as an env var (or --from-env-file).", optional: true),
                        ],
                        options: [
                            .value("from-file", "path", "Take the value from a file, byte for byte (binary included)."),
                            .value(
                                "from-env-file", "path",
                                "Set every KEY=VALUE of this .env file (- for stdin) as a secret, in one write."),
                            .flag("allow-empty", "Allow an empty value."),
                        ] + scopeOptions, handler: secretSet),
                    CommandSpec(
                        "list", "List an app's secret keys.", arguments: [ArgumentSpec("app", "App name.")],
                        options: scopeOptions,
                        handler: secretList),
                    CommandSpec(
                        "unset", "Remove a secret.",
                        arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("key", "Secret name.")],
                        options: scopeOptions, handler: secretUnset),
                ]),
        ] + PromoteCommands.specs)

    /// The options of `app deploy` and `app bind`, typed.
    enum Opts {
        static let name = Option<String>.name("name", "name", "App name.", required: true)
        static let image = Option<String>.string(
            "image", "image", "Container image (e.g. registry.example.com/api:v1.2.3).", required: true)
        static let port = Option<Int>.port("Port the container listens on (needed to create the app).")
        static let reset = Flag(
            "reset", "Make the app exactly what these flags say: env vars, bindings, mounts… not named are dropped.")
        static let replicas = Option<Int>.int(
            "replicas", "n", "Replica count.", default: AppSpec.defaultReplicas, min: 0)
        static let env = ListOption<EnvVar>.env()
        static let cpuRequest = Option<String>.quantity("cpu-request", "CPU request (e.g. 100m).")
        static let cpuLimit = Option<String>.quantity("cpu-limit", "CPU limit (e.g. 500m).")
        static let memoryRequest = Option<String>.quantity("memory-request", "Memory request (e.g. 128Mi).")
        static let memoryLimit = Option<String>.quantity("memory-limit", "Memory limit (e.g. 256Mi).")
        static let autoscale = Option<Autoscale>(
            .value(
                "autoscale", "min:max[:cpu%]",
                "Autoscale between min and max replicas at a CPU target (default \(Autoscale.defaultCPUPercent)%).")
        ) { s in
            let p = s.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(p.count), !p.contains(nil), let min = p[0], let max = p[1], min >= 1, max >= min
            else {
                throw BadValue("must be MIN:MAX[:CPU%] with 1 ≤ MIN ≤ MAX (e.g. 2:10:70)")
            }
            if p.count == 3, let cpu = p[2], !(1...100).contains(cpu) { throw BadValue("the CPU target must be 1-100") }
            return Autoscale(min: min, max: max, cpuPercent: p.count == 3 ? p[2] : nil)
        }
        static let route = Option<String>.hostname("route", "Public hostname.")
        static let noRoute = Flag("no-route", "No public route.")
        static let bind = ListOption<String>.strings(
            "bind", "service[:prefix]",
            "Bind a service: PREFIX_URL, PREFIX_HOST, … (default prefix DATABASE, REDIS for redis).")
        static let volume = ListOption<Mount>.mount("volume", "volume:/path", "Mount a volume.")
        static let runAsNonRoot = Flag(
            "run-as-non-root", "Refuse to start the app's container as root (default with --pod-security restricted).")
        static let runAsUser = Option<Int>.int("run-as-user", "uid", "Run the app's container as this user id.", min: 0)
        static let securityDefaults = Flag(
            "security-defaults",
            "Harden the container: no privilege escalation, no capabilities, seccomp (default in restricted environments)."
        )
        static let noSecurityDefaults = Flag(
            "no-security-defaults",
            "Run the container as its image says, without the hardened defaults (restricted environments refuse it).")
        static let prefix = Option<String>.string(
            "prefix", "prefix", "Variable prefix (default DATABASE, REDIS for redis).")
    }
}
