//! Where the checks look from: the app's own process instead of kbz-check's
//! shell. `--env-from-pid` reads the variables a running process started
//! with (`/proc/PID/environ`); `--netns-of` moves kbz-check into that
//! process's network namespace, so addresses, routes, firewalls and the
//! resolver are the app's. Both reference incidents were seen from the wrong
//! place: the wrong config source, the wrong network.

use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;

/// What the report says of where it was seen from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vantage {
    /// The process whose environment the checks read (`--env-from-pid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_of: Option<u32>,
    /// The process whose network namespace the checks ran in (`--netns-of`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_of: Option<u32>,
    /// That namespace (`net:[inode]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_namespace: Option<String>,
    /// The process's name-resolution files that replaced kbz-check's own
    /// for this run (`/etc/resolv.conf`, `/etc/hosts`), where they differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolver_files: Vec<String>,
}

/// A process's environment holds at most what `execve` accepts (ARG_MAX,
/// 2 MiB on Linux by default, arguments included); more is not an environment.
const MAX_ENVIRON_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum VantageError {
    #[error("no process {pid}: it has ended, or it lives in another PID namespace (in Kubernetes, `kubectl debug --target=CONTAINER` shares the container's)")]
    NoProcess { pid: u32 },
    #[error("not permitted to read {what} of process {pid}: {needs}")]
    NotPermitted { pid: u32, what: &'static str, needs: &'static str },
    #[error("cannot read {what} of process {pid}: {error}")]
    Io { pid: u32, what: &'static str, error: std::io::Error },
    #[error(
        "process {pid} has an empty environment (a kernel thread, or a process that cleared it): nothing to check with"
    )]
    EmptyEnvironment { pid: u32 },
    #[error("the environment of process {pid} is larger than 8 MiB: not an environment")]
    TooLarge { pid: u32 },
    #[error("--env-from-pid and --netns-of read /proc, which only Linux has")]
    NotLinux,
}

/// Reading another user's `/proc/PID/environ` passes the kernel's ptrace
/// access check: same user, or root (CAP_SYS_PTRACE).
const ENVIRON_NEEDS: &str = "run kbz-check as the process's user, or as root (CAP_SYS_PTRACE)";
/// `setns` into a network namespace needs CAP_SYS_ADMIN, and opening the
/// namespace the same ptrace access as the environment.
const NETNS_NEEDS: &str = "entering another process's network namespace needs root (CAP_SYS_ADMIN and CAP_SYS_PTRACE); in Kubernetes, a debug container with securityContext.privileged or capabilities add [SYS_ADMIN, SYS_PTRACE]";

fn proc_path(pid: u32, leaf: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{leaf}"))
}

fn io_error(pid: u32, what: &'static str, needs: &'static str, error: std::io::Error) -> VantageError {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => VantageError::NoProcess { pid },
        ErrorKind::PermissionDenied => VantageError::NotPermitted { pid, what, needs },
        _ => VantageError::Io { pid, what, error },
    }
}

/// The variables process `pid` started with, in their order; entries whose
/// name or value is not UTF-8 are left out, as with kbz-check's own environment.
pub fn environment_of(pid: u32) -> Result<Vec<(String, String)>, VantageError> {
    if !cfg!(target_os = "linux") {
        return Err(VantageError::NotLinux);
    }
    const WHAT: &str = "the environment (/proc/PID/environ)";
    let file = std::fs::File::open(proc_path(pid, "environ")).map_err(|e| io_error(pid, WHAT, ENVIRON_NEEDS, e))?;
    let mut bytes = Vec::new();
    // /proc files report no size: read one byte past the limit, no more.
    file.take(MAX_ENVIRON_BYTES + 1).read_to_end(&mut bytes).map_err(|e| io_error(pid, WHAT, ENVIRON_NEEDS, e))?;
    if bytes.len() as u64 > MAX_ENVIRON_BYTES {
        return Err(VantageError::TooLarge { pid });
    }
    let vars = parse_environ(&bytes);
    if vars.is_empty() {
        return Err(VantageError::EmptyEnvironment { pid });
    }
    Ok(vars)
}

/// `KEY=VALUE` entries separated by NUL bytes, as the kernel lays them out.
fn parse_environ(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .filter_map(|entry| entry.split_once('='))
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Moves this thread into the network namespace of process `pid` and
/// returns that namespace's name (`net:[inode]`). Call it before any other
/// thread starts (the async runtime's workers inherit the namespace of the
/// thread that creates them), so every connection the checks open is made
/// from the app's network.
pub fn enter_network_of(pid: u32) -> Result<String, VantageError> {
    if !cfg!(target_os = "linux") {
        return Err(VantageError::NotLinux);
    }
    const WHAT: &str = "the network namespace (/proc/PID/ns/net)";
    let path = proc_path(pid, "ns/net");
    let name = std::fs::read_link(&path).map_err(|e| io_error(pid, WHAT, NETNS_NEEDS, e))?;
    let namespace = std::fs::File::open(&path).map_err(|e| io_error(pid, WHAT, NETNS_NEEDS, e))?;
    use std::os::fd::AsRawFd;
    // SAFETY: setns on a namespace file descriptor we own, for this thread only; no memory is shared.
    if unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        let error = std::io::Error::last_os_error();
        return Err(match error.raw_os_error() {
            Some(libc::EPERM) => VantageError::NotPermitted { pid, what: WHAT, needs: NETNS_NEEDS },
            _ => VantageError::Io { pid, what: WHAT, error },
        });
    }
    Ok(name.to_string_lossy().into_owned())
}

/// The files that decide how a name resolves, besides nsswitch.conf (which
/// musl-based images do not even read).
const RESOLVER_FILES: [&str; 2] = ["/etc/resolv.conf", "/etc/hosts"];

/// After [`enter_network_of`]: names resolve as process `pid` resolves them.
/// A container has its own `/etc/resolv.conf` (Docker's 127.0.0.11, a pod's
/// cluster DNS) that only works from its network; kbz-check's own would ask
/// a server that is not there. Where they differ, this process gets a mount
/// namespace of its own (nothing propagates back to the host) in which the
/// app's copies are bound over its own. Returns the files replaced. Call it
/// before any other thread starts, like [`enter_network_of`].
pub fn adopt_resolver_of(pid: u32) -> Result<Vec<String>, VantageError> {
    const WHAT: &str = "the name resolution files (/proc/PID/root/etc)";
    let differing: Vec<(&str, Vec<u8>)> = RESOLVER_FILES
        .into_iter()
        .filter_map(|file| {
            let theirs = std::fs::read(proc_path(pid, &format!("root{file}"))).ok()?;
            (std::fs::read(file).ok().as_ref() != Some(&theirs)).then_some((file, theirs))
        })
        .collect();
    if differing.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |error: std::io::Error| match error.raw_os_error() {
        Some(libc::EPERM) => VantageError::NotPermitted { pid, what: WHAT, needs: NETNS_NEEDS },
        _ => VantageError::Io { pid, what: WHAT, error },
    };
    // SAFETY: unshare and mount change only this process's view of the
    // file system; MS_SLAVE keeps every later mount out of the host's.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(failed(std::io::Error::last_os_error()));
        }
        if libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SLAVE,
            std::ptr::null(),
        ) != 0
        {
            return Err(failed(std::io::Error::last_os_error()));
        }
    }
    let mut adopted = Vec::new();
    for (file, content) in differing {
        // A copy, not the app's file itself: a bind mount cannot take its
        // source from another mount namespace.
        let copy = tempfile::NamedTempFile::new().map_err(failed)?;
        std::fs::write(copy.path(), &content).map_err(failed)?;
        let source =
            std::ffi::CString::new(copy.path().as_os_str().as_encoded_bytes()).map_err(|e| failed(e.into()))?;
        let target = std::ffi::CString::new(file).map_err(|e| failed(e.into()))?;
        // SAFETY: both paths are NUL-terminated strings that outlive the call.
        if unsafe { libc::mount(source.as_ptr(), target.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) }
            != 0
        {
            return Err(failed(std::io::Error::last_os_error()));
        }
        adopted.push(file.to_string());
    }
    Ok(adopted)
}

/// The network namespace this process runs in now (`net:[inode]`).
pub fn own_network() -> Option<String> {
    std::fs::read_link("/proc/self/ns/net").ok().map(|name| name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_layout_reads_back_and_odd_entries_are_left_out() {
        let bytes = b"DATABASE_URL=postgresql://a:b=c@h/db\0EMPTY=\0NOEQUALS\0=nokey\0\xff\xfe=bad\0LAST=1";
        let vars = parse_environ(bytes);
        assert_eq!(
            vars,
            [
                ("DATABASE_URL".to_string(), "postgresql://a:b=c@h/db".to_string()),
                ("EMPTY".to_string(), String::new()),
                ("LAST".to_string(), "1".to_string()),
            ]
        );
    }

    #[test]
    fn our_own_environment_is_read_as_the_kernel_keeps_it() {
        let vars = environment_of(std::process::id()).unwrap();
        assert!(vars.iter().any(|(key, _)| key == "PATH"), "{:?}", vars.iter().map(|(k, _)| k).collect::<Vec<_>>());
    }

    #[test]
    fn a_process_that_does_not_exist_is_named() {
        // PIDs stop well below u32::MAX (pid_max is at most 2^22).
        let err = environment_of(u32::MAX).unwrap_err().to_string();
        assert!(err.starts_with(&format!("no process {}", u32::MAX)), "{err}");
        let err = enter_network_of(u32::MAX).unwrap_err().to_string();
        assert!(err.starts_with(&format!("no process {}", u32::MAX)), "{err}");
    }

    #[test]
    fn the_namespace_of_this_process_has_a_name() {
        assert!(own_network().is_some_and(|name| name.starts_with("net:[")));
    }
}
