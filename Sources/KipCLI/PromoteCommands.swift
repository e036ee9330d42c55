import KipCore

enum PromoteCommands {
    static let specs: [CommandSpec] = []
}
