//! The exec check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    NOT_FOUND = "exec.not_found": "the exec check's command does not exist: not in PATH nor in the plugin directories, or its path or #! interpreter is missing";
    NOT_EXECUTABLE = "exec.not_executable": "the exec check's command may not be run by this user (not executable, or a directory on its path is closed)";
    START_FAILED = "exec.start_failed": "the system refused to start the exec check's command for another reason";
    PLUGIN_WARNING = "exec.plugin.warning": "the plugin reported WARNING (exit 1)";
    PLUGIN_CRITICAL = "exec.plugin.critical": "the plugin reported CRITICAL (exit 2)";
    PLUGIN_UNKNOWN = "exec.plugin.unknown": "the plugin could not determine a state: UNKNOWN (exit 3)";
    EXIT_NOT_A_STATE = "exec.exit_not_a_state": "the plugin exited with a code that is not a plugin state (0 to 3): it crashed, or it is not a monitoring plugin";
    KILLED_BY_SIGNAL = "exec.killed_by_signal": "the plugin was ended by a signal before it exited on its own (a crash, or something killed it)";
    KILLED_AT_DEADLINE = "exec.killed_at_deadline": "the plugin did not finish within the check's deadline; its process group was killed";
    CHILDREN_KILLED = "exec.children_killed": "the plugin exited but processes it started kept its output open; they were killed with its process group";
    CHILDREN_LEFT_RUNNING = "exec.children_left_running": "processes the plugin started left its process group and still run; kbz-check names them and does not kill them";
}
