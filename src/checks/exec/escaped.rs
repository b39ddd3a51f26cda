//! Processes a plugin started outside its process group (`setsid cmd &`,
//! a daemon that double-forks) are out of `killpg`'s reach. Such a process
//! still holds the plugin's stdout or stderr open, as it inherited them: the
//! processes holding those pipes, found under `/proc/*/fd`, are what is left
//! running. A process that escaped and also closed its output cannot be
//! seen this way; nothing short of a cgroup could see it.

use std::os::fd::RawFd;

/// At most this many are named; a fork bomb is not listed in full.
const MAX_LISTED: usize = 10;
/// Characters of a command line kept.
const COMMAND_CHARS: usize = 160;

/// A process left running, as `ps` would name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escaped {
    pub pid: u32,
    /// Its command line, arguments joined by spaces, made printable.
    pub command: String,
}

impl std::fmt::Display for Escaped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PID {} `{}`", self.pid, self.command)
    }
}

/// `pipe:[12345]`: what `/proc/<pid>/fd/<n>` points at for each of our read
/// ends; any other process pointing at the same is holding the plugin's output.
pub fn pipe_ids(fds: &[RawFd]) -> Vec<String> {
    fds.iter()
        .filter_map(|fd| std::fs::read_link(format!("/proc/self/fd/{fd}")).ok())
        .map(|link| link.to_string_lossy().into_owned())
        .filter(|link| link.starts_with("pipe:"))
        .collect()
}

/// Every other process holding one of `pipes` open, in pid order.
pub fn holders(pipes: &[String]) -> Vec<Escaped> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id();
    let mut found: Vec<Escaped> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| holds(*pid, pipes))
        .map(|pid| Escaped { pid, command: command_line(pid) })
        .collect();
    found.sort_by_key(|e| e.pid);
    found.truncate(MAX_LISTED);
    found
}

fn holds(pid: u32, pipes: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|link| pipes.iter().any(|pipe| link.as_os_str() == pipe.as_str()))
}

/// `/proc/<pid>/cmdline` with its NULs as spaces, escaped and cut short:
/// the plugin chose it, so it is shown as inert text.
fn command_line(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw).replace('\0', " ");
    let text = crate::checks::peer_bytes::printable(text.trim());
    match text.char_indices().nth(COMMAND_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "?".to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::process::{Command, Stdio};

    #[test]
    fn finds_the_process_holding_a_pipe() {
        let mut child = Command::new("sleep").arg("30").stdout(Stdio::piped()).spawn().unwrap();
        let fd = child.stdout.as_ref().unwrap().as_raw_fd();
        let pipes = pipe_ids(&[fd]);
        assert_eq!(pipes.len(), 1, "{pipes:?}");
        let found = holders(&pipes);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found, [Escaped { pid: child.id(), command: "sleep 30".into() }]);
    }
}
