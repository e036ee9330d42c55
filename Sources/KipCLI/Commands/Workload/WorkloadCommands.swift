import Foundation
import KipCore

/// `kip service|volume|function|job …`: the other kinds an environment holds.
enum WorkloadCommands {

}
