//! Running a plugin under a deadline: its own process group, stdin closed,
//! stdout and stderr read up to a cap, and the whole group killed (SIGKILL)
//! when the deadline passes, so a plugin that forked a child which never
//! exits leaves nothing behind.
//!
//! The leader is never reaped before its group is killed: while it is an
//! unreaped zombie its pid, hence the group id, cannot be reused, so
//! `killpg` can only reach processes the plugin started. That is why its
//! exit is watched with `waitid(WNOWAIT)` and only reaped at the end.

use super::escaped::{self, Escaped};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Each stream is kept up to this many bytes; the rest is read and dropped,
/// so a chatty plugin never blocks on a full pipe.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How often the leader's exit is looked at while its output is read.
const POLL: Duration = Duration::from_millis(10);

/// After the leader exits, how long processes it left behind may keep its
/// output open before they are killed.
const LINGER: Duration = Duration::from_millis(300);

/// After the group is killed, how long to wait for the pipes to close (a
/// process outside the group, e.g. one that called `setsid`, may hold them).
const DRAIN: Duration = Duration::from_millis(200);

/// What to run.
pub struct Spec<'a> {
    pub program: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: Option<&'a Path>,
}

#[derive(Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// More than [`OUTPUT_CAP`] bytes came; the rest was dropped.
    pub truncated: bool,
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// How the run ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
    /// The deadline passed before the plugin exited: its group was killed.
    pub timed_out: bool,
    /// The plugin exited, but processes it started kept its output open;
    /// those in its process group were killed.
    pub left_behind: bool,
    /// Processes outside its group (`setsid`) still holding its output
    /// after the group was killed: left running, out of `killpg`'s reach.
    pub escaped: Vec<Escaped>,
}

/// Runs `spec` for at most `budget`; an error is a failure to start it.
pub async fn run(spec: &Spec<'_>, budget: Duration) -> io::Result<Finished> {
    let mut command = Command::new(spec.program);
    command
        .args(spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        // A backstop only: it kills the leader, not its group; `GroupGuard` does that.
        .kill_on_drop(true);
    if let Some(cwd) = spec.cwd {
        command.current_dir(cwd);
    }
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + budget;
    let mut child = command.spawn()?;
    let pid = child.id().ok_or_else(|| io::Error::other("the plugin exited before its pid was known"))?;
    let mut guard = GroupGuard { pgid: pid, armed: true };
    let (Some(mut out_pipe), Some(mut err_pipe)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(io::Error::other("the plugin's output pipes were not set up"));
    };
    let read_ends = [out_pipe.as_raw_fd(), err_pipe.as_raw_fd()];
    let mut escaped = Vec::new();

    let (mut stdout, mut stderr) = (Captured::default(), Captured::default());
    let (mut timed_out, mut left_behind) = (false, false);
    {
        let reading =
            async { tokio::join!(read_capped(&mut out_pipe, &mut stdout), read_capped(&mut err_pipe, &mut stderr)) };
        tokio::pin!(reading);
        let mut exited_at: Option<tokio::time::Instant> = None;
        let mut done = false;
        loop {
            let linger_end = exited_at.map(|at| (at + LINGER).min(deadline));
            tokio::select! {
                _ = &mut reading, if !done => done = true,
                _ = tokio::time::sleep(POLL), if exited_at.is_none() => {
                    if leader_exited(pid) {
                        exited_at = Some(tokio::time::Instant::now());
                    }
                }
                _ = tokio::time::sleep_until(linger_end.unwrap_or(deadline)), if linger_end.is_some() && !done => {
                    left_behind = true;
                    break;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    timed_out = exited_at.is_none();
                    left_behind = exited_at.is_some();
                    break;
                }
            }
            if done && exited_at.is_some() {
                break;
            }
        }
        // Whatever the plugin left in its group goes with it (the leader is
        // not reaped yet, so the group id is still its own).
        guard.kill();
        // Bounded by a share of the budget too, so the check still ends by its deadline.
        if !done && tokio::time::timeout(DRAIN.min(budget / 20), &mut reading).await.is_err() {
            // Still open after the group died: held from outside the group.
            escaped = escaped::holders(&escaped::pipe_ids(&read_ends));
        }
    }
    guard.armed = false;
    let status = child.wait().await?;
    Ok(Finished { status, stdout, stderr, elapsed: started.elapsed(), timed_out, left_behind, escaped })
}

async fn read_capped(pipe: &mut (impl AsyncRead + Unpin), into: &mut Captured) {
    let mut chunk = [0u8; 8192];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(into.bytes.len());
                into.bytes.extend_from_slice(&chunk[..n.min(room)]);
                into.truncated |= n > room;
            }
        }
    }
}

/// Has the leader exited? Looked at without reaping it (`WNOWAIT`), so its
/// pid stays reserved and `killpg` stays safe.
fn leader_exited(pid: u32) -> bool {
    let id: libc::id_t = pid;
    // SAFETY: `info` is a plain C struct that waitid fills in; zeroed is a valid
    // value for it. The call has no other memory effects.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    // With WNOHANG, si_pid stays 0 while the child runs; an error (ECHILD)
    // means there is nothing left to wait for.
    // SAFETY: reading the pid field of a siginfo_t filled by waitid (or zeroed).
    rc != 0 || unsafe { info.si_pid() } != 0
}

/// Kills the plugin's whole process group once, when asked or when dropped
/// (the engine gave up on the check and dropped its future).
struct GroupGuard {
    pgid: u32,
    armed: bool,
}

impl GroupGuard {
    fn kill(&mut self) {
        let Ok(pgid) = libc::pid_t::try_from(self.pgid) else { return };
        if pgid > 1 {
            // SAFETY: killpg only sends a signal. The group is the plugin's own:
            // its leader is not reaped yet, so the id cannot have been reused.
            // ESRCH (nobody left in the group) is fine.
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            self.kill();
        }
    }
}

/// `exit 2`, `killed by signal 9 (SIGKILL)`.
pub fn describe_status(status: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal} ({})", signal_name(signal)),
        (None, None) => format!("ended without an exit code ({status})"),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => "unnamed signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> (String, Vec<String>) {
        ("/bin/sh".into(), vec!["-c".into(), script.into()])
    }

    async fn run_sh(script: &str, budget: Duration) -> Finished {
        let (program, args) = sh(script);
        run(&Spec { program: &program, args: &args, env: &[("KBZ_X".into(), "x-value".into())], cwd: None }, budget)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn exit_code_output_and_env() {
        let done = run_sh("echo \"out $KBZ_X\"; echo err >&2; exit 3", Duration::from_secs(5)).await;
        assert_eq!((done.status.code(), done.timed_out, done.left_behind), (Some(3), false, false));
        assert_eq!((done.stdout.text().as_str(), done.stderr.text().as_str()), ("out x-value\n", "err\n"));
    }

    #[tokio::test]
    async fn output_is_capped_and_drained() {
        let done = run_sh("head -c 200000 /dev/zero; echo done >&2", Duration::from_secs(5)).await;
        assert_eq!((done.stdout.bytes.len(), done.stdout.truncated), (OUTPUT_CAP, true));
        assert_eq!(done.stderr.text(), "done\n");
    }

    /// Runs `script` within `budget`, its `{pidfile}` replaced by a file it
    /// writes a child's pid to: what the run gave, that pid, how long it took.
    async fn run_recording_child(script: &str, budget: Duration) -> (Finished, String, Duration) {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = script.replace("{pidfile}", &pidfile.display().to_string());
        let started = Instant::now();
        let done = run_sh(&script, budget).await;
        let took = started.elapsed();
        let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
        (done, pid, took)
    }

    #[tokio::test]
    async fn the_deadline_kills_the_whole_group() {
        let script = "sleep 300 & echo $! > {pidfile}; echo partial; wait";
        let (done, pid, took) = run_recording_child(script, Duration::from_millis(500)).await;
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert!(done.timed_out);
        assert_eq!(describe_status(&done.status), "killed by signal 9 (SIGKILL)");
        assert_eq!(done.stdout.text(), "partial\n");
        assert!(gone_soon(&pid), "the child {pid} survived");
    }

    /// The process is gone, or a zombie waiting for init to reap it.
    fn gone_soon(pid: &str) -> bool {
        (0..100).any(|_| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z'));
            let gone = stat.is_empty() || state == Some(true);
            if !gone {
                std::thread::sleep(Duration::from_millis(20));
            }
            gone
        })
    }

    #[tokio::test]
    async fn children_left_holding_the_output_are_killed_soon_after_the_exit() {
        let started = Instant::now();
        let done = run_sh("sleep 300 & echo bye; exit 1", Duration::from_secs(10)).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!((done.status.code(), done.timed_out, done.left_behind), (Some(1), false, true));
        assert_eq!(done.stdout.text(), "bye\n");
    }

    #[tokio::test]
    async fn a_child_that_left_the_group_is_named_and_the_run_still_ends_in_time() {
        // The plugin never exits itself: the deadline kills its group, not the setsid child.
        let script = "setsid sleep 30 & echo $! > {pidfile}; sleep 300";
        let (done, pid, took) = run_recording_child(script, Duration::from_millis(600)).await;
        let pid: u32 = pid.parse().unwrap();
        // SAFETY: kill only sends a signal, to the child this test started.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        assert!(took < Duration::from_millis(800), "{took:?}");
        assert!(done.timed_out);
        assert_eq!(done.escaped, [Escaped { pid, command: "sleep 30".into() }]);
    }
}
